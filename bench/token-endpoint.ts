import {
  createPublicKey,
  type JsonWebKey,
  KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
  randomUUID,
} from 'node:crypto'
import http from 'node:http'
import type { NetworkNode } from '@federizer/devnet'
import {
  type AllowedAlg,
  addForwarding,
  buildDraft,
  CLIENT_ASSERTION_TYPE,
  createClientAssertion,
  createDpopKey,
  createDpopProof,
  ehHeaders,
  lastAssertion,
  type PlaceholderMessage,
  sealForSend,
  tokenExchangeForm,
} from '@federizer/protocol'
import { loadOrCreateDomainKeys, setAutoForward } from '@federizer/store'
import { type CryptoKey, decodeProtectedHeader, type JWK } from 'jose'
import { fmt, mapLimit, stat, waitFor } from './lib.ts'
import { ALICE, BOB, openBenchNetwork, submitMail, trpcClient } from './network.ts'
import type { Row, Section } from './report.ts'

export interface TokenOptions {
  /** Exchanges per run and mode. */
  exchanges: number
  runs: number
  concurrency: number
}

interface PreparedRequest {
  body: string
  dpop: string
  /** The subject token the AS verifies (for the raw signature baseline). */
  subject: string
  clientAssertion: string
}

type Mode = 'send' | 'forward' | 'fetch'

/** Where the section is, on stderr with the time: a run that stalls shows in which step. */
const progress = (what: string) =>
  process.stderr.write(`bench: token ${new Date().toISOString().slice(11, 23)} ${what}\n`)

/** Hand-built exchange requests (private_key_jwt + a fresh DPoP key each), made before the clock starts. */
async function prepare(
  node: NetworkNode,
  count: number,
  params: () => Promise<{ form: URLSearchParams; subject: string }>,
): Promise<PreparedRequest[]> {
  const keys = await loadOrCreateDomainKeys(node.config)
  const tokenEndpoint = `${node.gatewayUrl}/token`
  const out: PreparedRequest[] = []
  for (let i = 0; i < count; i++) {
    const now = Math.floor(Date.now() / 1000)
    const { form, subject } = await params()
    const clientAssertion = await createClientAssertion({
      clientId: node.config.mtaClientId,
      audience: node.gatewayUrl,
      key: keys.mtaClientKey,
      now,
    })
    form.set('client_id', node.config.mtaClientId)
    form.set('client_assertion_type', CLIENT_ASSERTION_TYPE)
    form.set('client_assertion', clientAssertion)
    const dpop = await createDpopProof({ key: await createDpopKey(), htm: 'POST', htu: tokenEndpoint, now })
    out.push({ body: form.toString(), dpop, subject, clientAssertion })
  }
  return out
}

/** Fires the prepared requests at `concurrency` over keep-alive connections; exchanges per second. */
async function fire(node: NetworkNode, requests: PreparedRequest[], concurrency: number): Promise<number> {
  const url = new URL(`${node.gatewayUrl}/token`)
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })
  const started = performance.now()
  try {
    await mapLimit(
      requests,
      concurrency,
      (r) =>
        new Promise<void>((resolve, reject) => {
          const req = http.request(
            {
              agent,
              host: url.hostname,
              port: url.port,
              path: url.pathname,
              method: 'POST',
              headers: {
                'content-type': 'application/x-www-form-urlencoded',
                'content-length': Buffer.byteLength(r.body),
                dpop: r.dpop,
              },
            },
            (res) => {
              const chunks: Buffer[] = []
              res.on('data', (c: Buffer) => chunks.push(c))
              res.on('end', () => {
                if (res.statusCode === 200) resolve()
                else
                  reject(
                    new Error(
                      `token endpoint answered ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`,
                    ),
                  )
              })
            },
          )
          req.on('error', reject)
          // An answer that never comes fails the run with a reason instead of stalling the bench.
          req.setTimeout(30_000, () =>
            req.destroy(new Error('the token endpoint did not answer within 30 s')),
          )
          req.end(r.body)
        }),
    )
    return requests.length / ((performance.now() - started) / 1000)
  } finally {
    agent.destroy()
  }
}

/** node:crypto's verify of a compact JWS (the primitive the AS itself uses, packages/protocol node-jws.ts). */
function verifySignature(jws: string, key: KeyObject, alg: string): void {
  const dot = jws.lastIndexOf('.')
  const input = Buffer.from(jws.slice(0, dot))
  const signature = Buffer.from(jws.slice(dot + 1), 'base64url')
  const ok =
    alg === 'ES256'
      ? nodeVerify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature)
      : nodeVerify(alg === 'EdDSA' ? null : 'sha256', input, key, signature)
  if (!ok) throw new Error('a prepared request does not verify')
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

/**
 * The signature work one exchange needs, done with node:crypto directly (as the AS does) at the same
 * concurrency: verify the client assertion, import the proof's embedded JWK and verify the DPoP proof,
 * verify the subject token, sign the new token with the AS key. Exchanges per second.
 */
async function rawSignatureWork(
  requests: PreparedRequest[],
  concurrency: number,
  keys: {
    mtaPublic: JWK
    mtaAlg: string
    subjectPublic: JWK
    subjectAlg: string
    signer: CryptoKey
    signAlg: string
  },
): Promise<number> {
  const mtaKey = createPublicKey({ key: keys.mtaPublic as JsonWebKey, format: 'jwk' })
  const subjectKey = createPublicKey({ key: keys.subjectPublic as JsonWebKey, format: 'jwk' })
  const signer = KeyObject.from(keys.signer)
  const started = performance.now()
  await mapLimit(requests, concurrency, async (r) => {
    verifySignature(r.clientAssertion, mtaKey, keys.mtaAlg)
    const header = decodeProtectedHeader(r.dpop)
    verifySignature(
      r.dpop,
      createPublicKey({ key: header.jwk as JsonWebKey, format: 'jwk' }),
      String(header.alg),
    )
    // Expiry is not the point here (the fetch mode's subject may be any age): signature only.
    verifySignature(r.subject, subjectKey, keys.subjectAlg)
    const now = Math.floor(Date.now() / 1000)
    const claims = { sub: 'x', scope: 'internet_mail', jti: randomUUID(), cnf: { jkt: 'x'.repeat(43) } }
    const input = `${b64({ alg: keys.signAlg, typ: 'fz-hop+jwt', kid: 'k' })}.${b64({ ...claims, iat: now, exp: now + 3600 })}`
    nodeSign(
      'sha256',
      Buffer.from(input),
      keys.signAlg === 'ES256' ? { key: signer, dsaEncoding: 'ieee-p1363' } : signer,
    )
  })
  return requests.length / ((performance.now() - started) / 1000)
}

function sealedFromAlice(): { headers: unknown } {
  const draft = buildDraft({
    from: { address: ALICE },
    to: [{ address: BOB }],
    subject: 'token bench',
    messageId: `<${randomUUID()}@example.com>`,
    text: {
      contentId: 'aSQnmlBT6RndpDnwTSStJUVh1h9XL9_y2QXX42NhKuI',
      size: 42,
      mediaType: 'text/plain; charset=UTF-8',
    },
  })
  const { message, eh } = sealForSend(draft, { date: new Date() })
  const block = message.envelope[0]
  if (!block || !('headers' in block)) throw new Error('no original block')
  return { headers: ehHeaders(block.headers, eh.ehl) }
}

/** Section 3 for one AS algorithm: the three exchange modes against the raw signature work. */
async function benchAlg(alg: AllowedAlg, options: TokenOptions): Promise<Row[]> {
  const bench = await openBenchNetwork({ alg })
  try {
    const com = bench.sender
    const net = bench.receiver
    // A real message Alice → Bob gives example.net a delivered message and its hop assertion.
    const alice = trpcClient(bench.senderApi.url, await com.accessToken(ALICE))
    const messageId = await submitMail(alice, {
      to: [BOB],
      subject: 'seed',
      text: 'seed for the token bench',
    })
    const netDb = await net.db()
    const row = await waitFor(
      () =>
        netDb
          .selectFrom('messages')
          .select(['placeholder', 'content_state'])
          .where('account', '=', BOB)
          .where('message_id_header', '=', messageId)
          .executeTakeFirst()
          .then((r) => (r?.content_state === 'complete' ? r : undefined)),
      'the seed message at Bob',
      60_000,
    )
    const received = JSON.parse(row.placeholder) as PlaceholderMessage
    const hop = lastAssertion(received)
    if (!hop) throw new Error('the received message has no assertion')
    await setAutoForward(netDb, BOB, ['bobby@example.org'])
    const aliceToken = await com.accessToken(ALICE)
    const origin = (await (await fetch(`${com.gatewayUrl}/.well-known/federizer`)).json()) as {
      resource_url: string
    }

    const modes: Record<
      Mode,
      { node: NetworkNode; params: () => Promise<{ form: URLSearchParams; subject: string }> }
    > = {
      send: {
        node: com,
        params: async () => ({
          subject: aliceToken,
          form: tokenExchangeForm({
            subjectToken: aliceToken,
            subjectTokenType: 'access_token',
            requestedTokenType: 'jwt',
            headers: sealedFromAlice().headers as never,
          } as never),
        }),
      },
      forward: {
        node: net,
        params: async () => {
          const { message, eh } = addForwarding(received, {
            forwardedFrom: { address: BOB },
            forwardedTo: [{ address: 'bobby@example.org' }],
            date: new Date(),
          })
          const top = message.envelope[0]
          if (!top || !('headers' in top)) throw new Error('no forwarding block')
          return {
            subject: hop,
            form: tokenExchangeForm({
              subjectToken: hop,
              subjectTokenType: 'jwt',
              requestedTokenType: 'jwt',
              headers: ehHeaders(top.headers, eh.ehl),
            } as never),
          }
        },
      },
      fetch: {
        node: net,
        params: async () => ({
          subject: hop,
          form: tokenExchangeForm({
            subjectToken: hop,
            subjectTokenType: 'jwt',
            requestedTokenType: 'access_token',
            audience: origin.resource_url,
            messageId,
          } as never),
        }),
      },
    }
    const comKeys = await loadOrCreateDomainKeys(com.config)
    const rows: Row[] = []
    for (const [mode, spec] of Object.entries(modes) as [Mode, (typeof modes)[Mode]][]) {
      const asKeys = await loadOrCreateDomainKeys(spec.node.config)
      const signing = asKeys.activeSigningKey()
      const subjectKeys = mode === 'send' ? asKeys : comKeys
      const subjectJwk = subjectKeys.publicJwks().keys[0]!
      const endpoint: number[] = []
      const raw: number[] = []
      const rawKeys = {
        mtaPublic: asKeys.mtaClientKey.publicJwk,
        mtaAlg: asKeys.mtaClientKey.alg,
        subjectPublic: subjectJwk,
        subjectAlg: subjectKeys.activeSigningKey().alg,
        signer: signing.privateKey as CryptoKey,
        signAlg: signing.alg,
      }
      // Warm-up (JIT, key caches, discovery caches), not counted.
      const warm = await prepare(spec.node, Math.min(200, options.exchanges), spec.params)
      await rawSignatureWork(warm, options.concurrency, rawKeys)
      await fire(spec.node, warm, options.concurrency)
      for (let run = 0; run < options.runs; run++) {
        const step = (what: string) => progress(`${alg} ${mode} run ${run + 1}: ${what}`)
        step('preparing')
        const requests = await prepare(spec.node, options.exchanges, spec.params)
        step('signature baseline')
        raw.push(await rawSignatureWork(requests, options.concurrency, rawKeys))
        step('exchanges')
        endpoint.push(await fire(spec.node, requests, options.concurrency))
      }
      const e = stat(endpoint)
      const r = stat(raw)
      const overhead = stat(endpoint.map((x, i) => raw[i]! / x - 1))
      rows.push(
        {
          figure: `${alg} ${mode}: token endpoint`,
          value: `${fmt(e.median, 0)} /s`,
          spread: `${fmt(e.min, 0)} – ${fmt(e.max, 0)}`,
          runs: e.runs,
        },
        {
          figure: `${alg} ${mode}: raw signature work (node:crypto, same requests)`,
          value: `${fmt(r.median, 0)} /s`,
          spread: `${fmt(r.min, 0)} – ${fmt(r.max, 0)}`,
          runs: r.runs,
        },
        {
          figure: `${alg} ${mode}: overhead beyond signature work`,
          value: `${fmt(overhead.median * 100, 0)} %`,
          spread: `${fmt(overhead.min * 100, 0)} – ${fmt(overhead.max * 100, 0)} %`,
          runs: overhead.runs,
          target: '≤ 30 %',
          ok: overhead.median <= 0.3,
        },
      )
    }
    return rows
  } finally {
    progress(`${alg}: stopping the nodes`)
    await bench.close()
    progress(`${alg}: stopped`)
  }
}

/** Section 3: token exchanges per second, ES256 and RS256 AS keys. */
export async function benchTokenEndpoint(options: TokenOptions): Promise<Section> {
  const rows = [...(await benchAlg('ES256', options)), ...(await benchAlg('RS256', options))]
  return {
    title: '3. Token endpoint',
    method:
      `Per run and mode, ${options.exchanges} exchanges prepared beforehand (fresh client assertion and DPoP key ` +
      `each) and sent at ${options.concurrency} in flight over keep-alive HTTP to the gateway process: send at ` +
      'example.com (Alice’s at+jwt → hop assertion), forward and fetch at example.net (example.com’s hop ' +
      'assertion of a really delivered message → hop assertion / fetch token). The baseline verifies the same ' +
      'client assertions, DPoP proofs (importing each embedded key) and subject tokens and signs one token ' +
      'per exchange with node:crypto (the AS’s own primitive) in this process at the same concurrency, just before. Overhead = ' +
      'baseline rate ÷ endpoint rate − 1. MTA and DPoP keys are ES256; the AS key is the named algorithm.',
    rows,
  }
}
