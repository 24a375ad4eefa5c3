// The in-process token exchange (as/in-process.ts) against POST /token: the same refusals, the same tokens.
import { Writable } from 'node:stream'
import { sendMail } from '@federizer/devnet'
import {
  CLIENT_ASSERTION_TYPE,
  createClientAssertion,
  createDpopKey,
  createDpopProof,
  exchangeToken,
  generateSigningKey,
  signingKeyFromJwk,
} from '@federizer/protocol'
import { decodeJwt } from 'jose'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inProcessTokenEndpoint } from '../src/as/in-process.ts'
import { issueAccessToken } from '../src/as/tokens.ts'
import { AT, GRANT, JWT, sealedMessage } from './as-exchange-helpers.ts'
import { addUser, startDomain, type TestDomain } from './as-helpers.ts'
import { db, messagesIn, openNetwork, threeDomains, waitFor } from './federation-helpers.ts'

let com: TestDomain
beforeAll(async () => {
  com = await startDomain('example.com')
  await addUser(com, 'alice')
})
afterAll(async () => com?.close())

const now = () => Math.floor(Date.now() / 1000)

interface Case {
  assertion?: { audience?: string; key?: Parameters<typeof createClientAssertion>[0]['key'] }
  dpop?: { htu?: string; htm?: string }
  /** Send the same form and proof twice; the second answer is the one compared. */
  replay?: boolean
}

/** A send exchange for alice as the MTA, built as `exchangeToken` builds it, with one thing changed. */
async function sendExchange(c: Case) {
  const { headers } = sealedMessage('alice@example.com', ['bob@example.net'])
  const token = await issueAccessToken(com.gateway.ctx, {
    account: 'alice@example.com',
    clientId: com.config.webClientId,
    scope: 'mail',
  })
  const form = new URLSearchParams({
    grant_type: GRANT,
    subject_token: token.token,
    subject_token_type: AT,
    requested_token_type: JWT,
    headers: JSON.stringify(headers),
    client_id: com.config.mtaClientId,
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: await createClientAssertion({
      clientId: com.config.mtaClientId,
      audience: c.assertion?.audience ?? com.url,
      key: c.assertion?.key ?? com.gateway.ctx.as.keys.mtaClientKey,
      now: now(),
    }),
  })
  const dpop = await createDpopProof({
    key: await createDpopKey(),
    htm: c.dpop?.htm ?? 'POST',
    htu: c.dpop?.htu ?? `${com.url}/token`,
    now: now(),
  })
  return { form, dpop }
}

async function viaHttp(form: URLSearchParams, dpop: string) {
  const response = await fetch(`${com.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop },
    body: form,
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function viaInProcess(form: URLSearchParams, dpop: string) {
  const answer = await inProcessTokenEndpoint(com.gateway.ctx)({ form, dpop })
  return { status: answer.status, body: answer.body as Record<string, unknown> }
}

async function answerBoth(c: Case) {
  const answers = []
  for (const call of [viaHttp, viaInProcess]) {
    const { form, dpop } = await sendExchange(c)
    if (c.replay) await call(form, dpop)
    answers.push(await call(form, dpop))
  }
  return answers
}

describe('in-process token exchange (as/in-process.ts)', () => {
  it('answers the same hop assertion as POST /token', async () => {
    const [http, local] = await answerBoth({})
    expect(http?.status).toBe(200)
    expect(local?.status).toBe(200)
    const claims = [http, local].map((a) => decodeJwt(String(a?.body.access_token)))
    // The same claims but for the time, the jti, the fresh DPoP key and the message's own headers.
    const same = (c: (typeof claims)[number]) => ({
      iss: c.iss,
      sub: c.sub,
      azp: c.azp,
      exp: c.exp! - c.iat!,
    })
    expect(same(claims[1]!)).toEqual(same(claims[0]!))
    expect(same(claims[0]!)).toMatchObject({
      iss: com.url,
      sub: 'alice@example.com',
      azp: com.config.mtaClientId,
    })
    expect(local?.body).toMatchObject({ issued_token_type: JWT, token_type: 'N_A' })
  })

  const refusals: [string, () => Promise<Case>, number, string][] = [
    [
      'a client assertion signed with another key under the MTA key id',
      async () => {
        const other = await signingKeyFromJwk((await generateSigningKey()).privateJwk)
        return { assertion: { key: { ...other, kid: com.gateway.ctx.as.keys.mtaClientKey.kid } } }
      },
      401,
      'invalid_client',
    ],
    [
      'a client assertion for another audience',
      async () => ({ assertion: { audience: 'https://elsewhere.example' } }),
      401,
      'invalid_client',
    ],
    [
      'a client assertion for the token endpoint URL (not the issuer)',
      async () => ({ assertion: { audience: `${com.url}/token` } }),
      401,
      'invalid_client',
    ],
    ['a replayed client assertion and proof', async () => ({ replay: true }), 401, 'invalid_client'],
    [
      'a DPoP proof for another URL',
      async () => ({ dpop: { htu: 'https://elsewhere.example/token' } }),
      400,
      'invalid_dpop_proof',
    ],
    ['a DPoP proof for GET', async () => ({ dpop: { htm: 'GET' } }), 400, 'invalid_dpop_proof'],
  ]
  for (const [what, make, status, error] of refusals) {
    it(`refuses ${what} exactly as POST /token does`, async () => {
      const [http, local] = await answerBoth(await make())
      expect(http).toMatchObject({ status, body: { error } })
      expect(local).toEqual(http)
    })
  }

  it("the gateway process's MTA token client answers as an exchange over HTTP does", async () => {
    const { headers } = sealedMessage('alice@example.com', ['bob@example.net'])
    const token = await issueAccessToken(com.gateway.ctx, {
      account: 'alice@example.com',
      clientId: com.config.webClientId,
      scope: 'mail',
    })
    let posts = 0
    const counting: typeof fetch = (url, init) => {
      if (String(url).endsWith('/token')) posts++
      return fetch(url, init)
    }
    const input = {
      subjectToken: token.token,
      subjectTokenType: 'access_token',
      requestedTokenType: 'jwt',
      headers,
      dpopKey: await createDpopKey(),
    } as const
    // Over HTTP, as an api in another process does it:
    const overHttp = await exchangeToken({
      ...input,
      tokenEndpoint: `${com.url}/token`,
      issuer: com.url,
      clientId: com.config.mtaClientId,
      clientKey: com.gateway.ctx.as.keys.mtaClientKey,
      fetch: counting,
      now,
    })
    expect(posts).toBe(1)
    const local = await com.gateway.ctx.domain.mtaTokens.exchange(input)
    expect(decodeJwt(local.token)).toMatchObject({ sub: 'alice@example.com', iss: com.url })
    expect(decodeJwt(local.token).cnf).toEqual(decodeJwt(overHttp.token).cnf)
  })
})

describe('a delivery between real nodes with in-process exchanges', () => {
  it('Alice → Bob is delivered and fetched, and neither node served an HTTP token request', {
    timeout: 60_000,
  }, async () => {
    const paths: string[] = []
    const log = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) {
          const entry = JSON.parse(line) as { path?: string; method?: string }
          if (entry.path) paths.push(`${entry.method} ${entry.path}`)
        }
        done()
      },
    })
    const net = await openNetwork({
      domains: threeDomains().slice(0, 2),
      logger: pino({ level: 'debug' }, log),
    })
    try {
      const network = net.network
      await sendMail(network.node('example.com'), {
        from: 'alice@example.com',
        to: ['bob@example.net'],
        subject: 'In process',
        text: 'Hi Bob, no token request crossed HTTP.',
        html: '<p>Hi Bob</p>',
        attachments: [
          {
            filename: 'a.bin',
            mediaType: 'application/octet-stream',
            bytes: new Uint8Array(100_000).fill(7),
          },
        ],
      })
      await waitFor(async () => {
        const rows = await messagesIn(db(network, 'example.net'), 'bob@example.net', 'inbox')
        return rows[0]?.content_state === 'complete'
      }, "Bob's copy with every resource fetched")
      // The delivery and the fetches crossed HTTP; the send and fetch token exchanges did not.
      expect(paths.some((p) => p.startsWith('POST') && p.endsWith('/deliveries'))).toBe(true)
      expect(paths.filter((p) => p.endsWith('/token'))).toEqual([])
    } finally {
      await net.close()
    }
  })
})
