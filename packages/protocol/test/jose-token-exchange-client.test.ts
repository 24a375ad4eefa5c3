import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createDpopKey,
  createMemoryReplayStore,
  type DpopKey,
  exchangeToken,
  type GeneratedSigningKey,
  generateSigningKey,
  keyResolverFromJwks,
  signHopAssertion,
  TOKEN_EXCHANGE_GRANT_TYPE,
  TokenExchangeError,
  verifyClientAssertion,
  verifyDpopProof,
  verifyHopAssertion,
} from '../src/jose/index.ts'

const NOW = 1_734_900_575
const CLIENT = 'mta.example.com'
const EHT = 'tKKw0-Munn-PQKcmE_nuF32eziwCS0FBtUz_f3Mva5E'

/** What the test AS saw for each request. */
interface Seen {
  form: URLSearchParams
  nonce?: string
  jkt?: string
}

type Behaviour = 'nonce-once' | 'nonce-always' | 'invalid-grant' | 'html-500' | 'ok'

let asKey: GeneratedSigningKey
let clientKey: GeneratedSigningKey
let dpopKey: DpopKey
let server: Server
let tokenEndpoint: string
let issuer: string
let behaviour: Behaviour = 'ok'
let seen: Seen[] = []
let nonceCounter = 0

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString()
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })
  res.end(JSON.stringify(body))
}

/** A minimal but real token endpoint: it authenticates the client and checks the proof with this library. */
async function handle(req: IncomingMessage, res: ServerResponse) {
  const form = new URLSearchParams(await readBody(req))
  const replay = createMemoryReplayStore(() => NOW)
  const entry: Seen = { form }
  seen.push(entry)
  if (behaviour === 'html-500') {
    res.writeHead(500, { 'content-type': 'text/html' })
    res.end('<h1>oops</h1>')
    return
  }
  try {
    await verifyClientAssertion(form.get('client_assertion') ?? '', {
      clientId: CLIENT,
      audience: [issuer],
      resolveKey: keyResolverFromJwks({ keys: [clientKey.publicJwk] }),
      now: NOW,
      replay,
    })
    const expectedNonce =
      behaviour === 'nonce-always' ? `n-${nonceCounter}` : behaviour === 'nonce-once' ? 'n-0' : undefined
    const proof = await verifyDpopProof(String(req.headers.dpop), {
      htm: 'POST',
      htu: tokenEndpoint,
      now: NOW,
      replay,
      nonce: expectedNonce,
    })
    entry.nonce = proof.claims.nonce
    entry.jkt = proof.jkt
    if (behaviour === 'invalid-grant') {
      return send(res, 400, {
        error: 'invalid_grant',
        error_description: 'From does not match the token email',
      })
    }
    const mode3 = form.get('requested_token_type') === 'urn:ietf:params:oauth:token-type:access_token'
    const token = await signHopAssertion(
      {
        iss: 'https://as1.example.com',
        sub: 'alice@example.com',
        azp: CLIENT,
        cnf: { jkt: proof.jkt },
        eh: { eht: EHT, ehl: ['Message-ID'] },
        iat: NOW,
        exp: NOW + 600,
        jti: 'issued-1',
      },
      asKey,
    )
    send(res, 200, {
      access_token: token,
      issued_token_type: form.get('requested_token_type'),
      token_type: mode3 ? 'DPoP' : 'N_A',
      expires_in: 600,
    })
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code === 'use_dpop_nonce') {
      // nonce-always hands out a nonce it already rotated away from, so every retry fails again.
      const next = behaviour === 'nonce-always' ? `n-${nonceCounter++}` : 'n-0'
      return send(
        res,
        400,
        { error: 'use_dpop_nonce', error_description: 'use the nonce' },
        { 'dpop-nonce': next },
      )
    }
    send(res, 400, { error: 'invalid_client', error_description: (e as Error).message })
  }
}

beforeAll(async () => {
  ;[asKey, clientKey, dpopKey] = await Promise.all([
    generateSigningKey(),
    generateSigningKey('EdDSA'),
    createDpopKey(),
  ])
  server = createServer((req, res) => void handle(req, res))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/as`
  tokenEndpoint = `${issuer}/token`
})
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()))
})

const base = () => ({
  tokenEndpoint,
  issuer,
  clientId: CLIENT,
  clientKey,
  dpopKey,
  subjectToken: 'user-access-token',
  subjectTokenType: 'access_token' as const,
  requestedTokenType: 'jwt' as const,
  fetch,
  now: NOW,
})

describe('exchangeToken (RFC 8693 + RFC 7523 + RFC 9449)', () => {
  it('sends the RFC 8693 form with private_key_jwt and a DPoP proof (mode 1)', async () => {
    behaviour = 'ok'
    seen = []
    const headers = [
      ['Message-ID', '<m1@example.com>'],
      ['From', 'Alice <alice@example.com>'],
    ] as const
    const result = await exchangeToken({ ...base(), headers })
    expect(result).toMatchObject({
      tokenType: 'N_A',
      issuedTokenType: 'urn:ietf:params:oauth:token-type:jwt',
    })
    expect(result.expiresIn).toBe(600)
    const { claims } = await verifyHopAssertion(result.token, {
      resolveKey: keyResolverFromJwks({ keys: [asKey.publicJwk] }),
      now: NOW,
    })
    expect(claims.cnf.jkt).toBe(dpopKey.jkt)
    const form = seen[0]!.form
    expect(form.get('grant_type')).toBe(TOKEN_EXCHANGE_GRANT_TYPE)
    expect(form.get('subject_token')).toBe('user-access-token')
    expect(form.get('subject_token_type')).toBe('urn:ietf:params:oauth:token-type:access_token')
    expect(form.get('requested_token_type')).toBe('urn:ietf:params:oauth:token-type:jwt')
    expect(JSON.parse(form.get('headers')!)).toEqual(headers)
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    expect(form.has('audience')).toBe(false)
  })

  it('sends audience and message_id in mode 3 and returns a DPoP token type', async () => {
    behaviour = 'ok'
    seen = []
    const result = await exchangeToken({
      ...base(),
      subjectToken: 'last-hop-assertion',
      subjectTokenType: 'jwt',
      requestedTokenType: 'access_token',
      audience: 'https://example.com/rs1',
      messageId: '<m1@example.com>',
    })
    expect(result.tokenType).toBe('DPoP')
    expect(seen[0]!.form.get('audience')).toBe('https://example.com/rs1')
    expect(seen[0]!.form.get('message_id')).toBe('<m1@example.com>')
    expect(seen[0]!.form.has('headers')).toBe(false)
  })

  it('retries once with the DPoP-Nonce the AS sent (RFC 9449 §8)', async () => {
    behaviour = 'nonce-once'
    seen = []
    const result = await exchangeToken(base())
    expect(seen).toHaveLength(2)
    expect(seen[0]!.nonce).toBeUndefined()
    expect(seen[1]!.nonce).toBe('n-0')
    expect(result.dpopNonce).toBe('n-0')
    // A fresh client assertion per attempt (its jti is single-use).
    expect(seen[0]!.form.get('client_assertion')).not.toBe(seen[1]!.form.get('client_assertion'))
  })

  it('gives up after one retry when the AS keeps asking for a new nonce', async () => {
    behaviour = 'nonce-always'
    nonceCounter = 0
    seen = []
    const error = await exchangeToken(base()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TokenExchangeError)
    expect(error).toMatchObject({ code: 'use_dpop_nonce', error: 'use_dpop_nonce', status: 400 })
    expect(seen).toHaveLength(2)
  })

  it("surfaces the AS's error and error_description", async () => {
    behaviour = 'invalid-grant'
    const error = (await exchangeToken(base()).catch((e: unknown) => e)) as TokenExchangeError
    expect(error).toBeInstanceOf(TokenExchangeError)
    expect(error.error).toBe('invalid_grant')
    expect(error.errorDescription).toBe('From does not match the token email')
    expect(error.status).toBe(400)
    expect(error.message).toContain('From does not match')
  })

  it('reports a client the AS does not accept (wrong client key)', async () => {
    behaviour = 'ok'
    const wrongKey = await generateSigningKey()
    const error = (await exchangeToken({ ...base(), clientKey: wrongKey }).catch(
      (e: unknown) => e,
    )) as TokenExchangeError
    expect(error.error).toBe('invalid_client')
  })

  it('reports a non-OAuth error body and an unreachable endpoint', async () => {
    behaviour = 'html-500'
    const e1 = (await exchangeToken(base()).catch((e: unknown) => e)) as TokenExchangeError
    expect(e1).toMatchObject({ error: 'invalid_response', status: 500 })
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r()))
    const e2 = (await exchangeToken({ ...base(), tokenEndpoint: `http://127.0.0.1:${port}/token` }).catch(
      (e: unknown) => e,
    )) as TokenExchangeError
    expect(e2).toMatchObject({ error: 'network_error', status: 0 })
  })
})
