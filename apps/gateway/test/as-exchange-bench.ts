// Token-exchange throughput of the AS, per mode and signing algorithm, beside the raw cost of the same
// signature work (RFC 8693 + private_key_jwt + DPoP). Not a test: run it with
//   node --import tsx apps/gateway/test/as-exchange-bench.ts [N]
// or import `benchTokenExchange` from a bench suite. Requests (client assertions, DPoP proofs) are made
// before the clock starts, so the figure is the server's; client and server share the process (and CPU).
import {
  type AllowedAlg,
  CLIENT_ASSERTION_TYPE,
  createClientAssertion,
  createDpopKey,
  createDpopProof,
  createMemoryReplayStore,
  signJwt,
  verifyDpopProof,
  verifyJwt,
} from '@federizer/protocol'
import { setAutoForward } from '@federizer/store'
import { importJWK } from 'jose'
import { issueAccessToken } from '../src/as/tokens.ts'
import {
  AT,
  forwardingOf,
  GRANT,
  JWT,
  pushAssertion,
  rawExchange,
  recordDelivery,
  sealedMessage,
  withoutBcc,
} from './as-exchange-helpers.ts'
import { addUser, srvRecordsFor, startDnsServer, startDomain, type TestDomain } from './as-helpers.ts'

export interface ExchangeBenchResult {
  alg: AllowedAlg
  mode: 'send' | 'forward' | 'fetch'
  requests: number
  exchangesPerSecond: number
  /** The same signature work (2 ES256 verifies for client assertion and proof, 1 verify and 1 sign in `alg`). */
  signatureWorkPerSecond: number
  /** (signature-only rate / exchange rate) − 1: what the endpoint adds beyond its signatures. */
  overheadPercent: number
}

async function pool<T>(items: T[], concurrency: number, fn: (t: T) => Promise<void>) {
  let i = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) await fn(items[i++]!)
    }),
  )
}

export async function benchTokenExchange(
  options: { n?: number; concurrency?: number; algs?: AllowedAlg[] } = {},
) {
  const n = options.n ?? 1000
  const concurrency = options.concurrency ?? 32
  const results: ExchangeBenchResult[] = []
  const dns = await startDnsServer()
  try {
    for (const alg of options.algs ?? (['ES256', 'RS256'] as AllowedAlg[])) {
      const com = await startDomain('example.com', { dns, alg })
      const net = await startDomain('example.net', { dns, alg })
      try {
        dns.setRecords(srvRecordsFor([com, net]))
        for (const d of [com, net]) d.gateway.ctx.as.limits.tokenPerClient = { max: 1e9, windowSeconds: 60 }
        await addUser(com, 'alice')
        await addUser(net, 'bob')
        await setAutoForward(net.gateway.ctx.db, 'bob@example.net', ['bobby@example.org'])
        const access = await issueAccessToken(com.gateway.ctx, {
          account: 'alice@example.com',
          clientId: com.config.webClientId,
          scope: 'mail',
        })
        const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
        const sendParams = {
          subject_token: access.token,
          subject_token_type: AT,
          requested_token_type: JWT,
          headers: JSON.stringify(sealed.headers),
        }
        const sent = await rawExchange(com, sendParams)
        const assertion = String(sent.body.access_token)
        const received = await recordDelivery(
          net,
          pushAssertion(withoutBcc(sealed.message), assertion),
          'bob@example.net',
          'example.com',
        )
        const fwd = forwardingOf(received, 'bob@example.net', ['bobby@example.org'])
        const modes: [ExchangeBenchResult['mode'], TestDomain, Record<string, string>][] = [
          ['send', com, sendParams],
          [
            'forward',
            net,
            {
              subject_token: assertion,
              subject_token_type: JWT,
              requested_token_type: JWT,
              headers: JSON.stringify(fwd.headers),
            },
          ],
          [
            'fetch',
            net,
            {
              subject_token: assertion,
              subject_token_type: JWT,
              requested_token_type: AT,
              audience: com.url,
              message_id: sealed.messageId,
            },
          ],
        ]
        const signatureWorkPerSecond = await rawSignatureWork(com, alg, assertion, n, concurrency)
        for (const [mode, d, params] of modes) {
          const now = Math.floor(Date.now() / 1000)
          const requests = []
          for (let k = 0; k < n; k++) {
            const key = await createDpopKey()
            const body = new URLSearchParams({
              grant_type: GRANT,
              ...params,
              client_assertion_type: CLIENT_ASSERTION_TYPE,
              client_assertion: await createClientAssertion({
                clientId: d.config.mtaClientId,
                audience: `${d.url}/token`,
                key: d.gateway.ctx.as.keys.mtaClientKey,
                now,
              }),
            }).toString()
            requests.push({
              body,
              dpop: await createDpopProof({ key, htm: 'POST', htu: `${d.url}/token`, now }),
            })
          }
          let failures = 0
          const started = performance.now()
          await pool(requests, concurrency, async (r) => {
            const response = await fetch(`${d.url}/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: r.dpop },
              body: r.body,
            })
            if (response.status !== 200) failures++
            await response.arrayBuffer()
          })
          if (failures > 0) throw new Error(`${alg} ${mode}: ${failures} of ${n} exchanges failed`)
          const exchangesPerSecond = n / ((performance.now() - started) / 1000)
          results.push({
            alg,
            mode,
            requests: n,
            exchangesPerSecond: Math.round(exchangesPerSecond),
            signatureWorkPerSecond: Math.round(signatureWorkPerSecond),
            overheadPercent: Math.round((signatureWorkPerSecond / exchangesPerSecond - 1) * 100),
          })
        }
      } finally {
        await com.close()
        await net.close()
      }
    }
  } finally {
    await dns.close()
  }
  return results
}

/** The signatures one exchange needs, with keys imported once (the cheapest honest implementation). */
async function rawSignatureWork(
  d: TestDomain,
  alg: AllowedAlg,
  token: string,
  n: number,
  concurrency: number,
) {
  const now = Math.floor(Date.now() / 1000)
  const asKey = d.gateway.ctx.as.keys.activeSigningKey()
  const asPublic = await importJWK(d.gateway.ctx.as.keys.publicJwks().keys[0]!, alg)
  const mtaPublic = await importJWK(d.gateway.ctx.as.keys.mtaClientKey.publicJwk, 'ES256')
  const replay = createMemoryReplayStore(() => now, n * 2)
  const inputs = []
  for (let k = 0; k < n; k++) {
    const key = await createDpopKey()
    inputs.push({
      assertion: await createClientAssertion({
        clientId: 'c',
        audience: 'a',
        key: d.gateway.ctx.as.keys.mtaClientKey,
        now,
      }),
      proof: await createDpopProof({ key, htm: 'POST', htu: 'https://as.example/token', now }),
    })
  }
  const started = performance.now()
  await pool(inputs, concurrency, async (input) => {
    await verifyJwt(input.assertion, {
      typ: ['client-authentication+jwt', 'JWT'],
      resolveKey: async () => mtaPublic as never,
      now,
    })
    await verifyDpopProof(input.proof, { htm: 'POST', htu: 'https://as.example/token', now, replay })
    await verifyJwt(token, { typ: 'fz-hop+jwt', resolveKey: async () => asPublic as never, now })
    await signJwt({ iss: 'x', sub: 'alice@example.com', iat: now, exp: now + 600 }, asKey, 'fz-hop+jwt')
  })
  return n / ((performance.now() - started) / 1000)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await benchTokenExchange({ n: Number(process.argv[2] ?? 1000) })
  console.table(results)
}
