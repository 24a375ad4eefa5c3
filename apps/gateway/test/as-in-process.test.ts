// The in-process token exchange (as/in-process.ts) against POST /token: the same checks of the subject
// token and the headers, the same refusals, the same tokens; no client assertion and no proof in process.
import { Writable } from 'node:stream'
import { sendMail } from '@federizer/devnet'
import {
  CLIENT_ASSERTION_TYPE,
  createClientAssertion,
  createDpopKey,
  createDpopProof,
  type DpopKey,
  exchangeToken,
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
  /** The address the sealed message is from (default alice, the subject token's user). */
  from?: string
  /** The subject token (default a fresh access token of alice). */
  subjectToken?: string
  /** The requested token type (default a hop assertion). */
  requested?: string
}

/** The form of a send exchange for alice as `exchangeToken` builds it (no client authentication yet). */
async function sendForm(c: Case) {
  const { headers } = sealedMessage(c.from ?? 'alice@example.com', ['bob@example.net'])
  const token = await issueAccessToken(com.gateway.ctx, {
    account: 'alice@example.com',
    clientId: com.config.webClientId,
    scope: 'mail',
  })
  return new URLSearchParams({
    grant_type: GRANT,
    subject_token: c.subjectToken ?? token.token,
    subject_token_type: AT,
    requested_token_type: c.requested ?? JWT,
    headers: JSON.stringify(headers),
  })
}

/** Over HTTP: the MTA's client assertion and a DPoP proof of `key` added, as `exchangeToken` adds them. */
async function viaHttp(form: URLSearchParams, key: DpopKey) {
  const body = new URLSearchParams(form)
  body.set('client_id', com.config.mtaClientId)
  body.set('client_assertion_type', CLIENT_ASSERTION_TYPE)
  body.set(
    'client_assertion',
    await createClientAssertion({
      clientId: com.config.mtaClientId,
      audience: com.url,
      key: com.gateway.ctx.as.keys.mtaClientKey,
      now: now(),
    }),
  )
  const dpop = await createDpopProof({ key, htm: 'POST', htu: `${com.url}/token`, now: now() })
  const response = await fetch(`${com.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop },
    body,
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function viaInProcess(form: URLSearchParams, key: DpopKey) {
  const answer = await inProcessTokenEndpoint(com.gateway.ctx)({ form, jkt: key.jkt })
  return { status: answer.status, body: answer.body as Record<string, unknown> }
}

async function answerBoth(c: Case) {
  const answers = []
  for (const call of [viaHttp, viaInProcess])
    answers.push(await call(await sendForm(c), await createDpopKey()))
  return answers
}

describe('in-process token exchange (as/in-process.ts)', () => {
  it('answers the same hop assertion as POST /token, bound to the key it was given', async () => {
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
    const key = await createDpopKey()
    const bound = await viaInProcess(await sendForm({}), key)
    expect(decodeJwt(String(bound.body.access_token)).cnf).toEqual({ jkt: key.jkt })
  })

  const refusals: [string, Case, number, string][] = [
    ['a subject token that is not a JWT', { subjectToken: 'a.b.c' }, 400, 'invalid_grant'],
    [
      "headers from an address that is not the subject token's user",
      { from: 'carol@example.com' },
      400,
      'invalid_grant',
    ],
    ['a token type this grant does not issue', { requested: 'urn:example:other' }, 400, 'invalid_request'],
  ]
  for (const [what, c, status, error] of refusals) {
    it(`refuses ${what} exactly as POST /token does`, async () => {
      const [http, local] = await answerBoth(c)
      expect(http).toMatchObject({ status, body: { error } })
      expect(local).toEqual(http)
    })
  }

  it('answers only a token exchange', async () => {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x' })
    const answer = await viaInProcess(form, await createDpopKey())
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_request' } })
  })

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
