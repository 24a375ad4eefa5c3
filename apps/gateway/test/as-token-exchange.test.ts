import {
  createDpopKey,
  exchangeToken,
  type HopAssertionClaims,
  verifyHopAssertion,
} from '@federizer/protocol'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { accessTokenFor, aliceToBob, com, now, resolverFor, strictExchange } from './as-exchange-domains.ts'
import { AT, JWT, rawExchange, sealedMessage } from './as-exchange-helpers.ts'

describe('mode 1: access token → hop assertion (send)', () => {
  it('issues a DPoP-bound assertion over the sealed headers to a strict client', async () => {
    const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
    const { result } = await strictExchange(com, {
      subject_token: await accessTokenFor(com, 'alice@example.com'),
      subject_token_type: AT,
      requested_token_type: JWT,
      headers: JSON.stringify(sealed.headers),
    })
    expect(result.token_type).toBe('n_a')
    expect(result.issued_token_type).toBe(JWT)
    const { header, claims } = await verifyHopAssertion(result.access_token, {
      resolveKey: resolverFor(com),
      now: now(),
      issuer: com.url,
    })
    expect(header.typ).toBe('fz-hop+jwt')
    expect(claims).toMatchObject({
      iss: com.url,
      sub: 'alice@example.com',
      azp: com.config.mtaClientId,
      scope: 'internet_mail',
      eh: sealed.eh,
    })
    expect(claims.cnf.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(claims.exp - claims.iat).toBe(6 * 86400)
  })

  it('binds cnf.jkt to the proof key', async () => {
    const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
    const key = await createDpopKey()
    const res = await rawExchange(
      com,
      {
        subject_token: await accessTokenFor(com, 'alice@example.com'),
        subject_token_type: AT,
        requested_token_type: JWT,
        headers: JSON.stringify(sealed.headers),
      },
      { dpopKey: key },
    )
    expect(res.body).toMatchObject({ token_type: 'N_A', issued_token_type: JWT })
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect((decodeJwt(String(res.body.access_token)) as HopAssertionClaims).cnf.jkt).toBe(key.jkt)
  })

  it('refuses to sign for anyone but the token user', async () => {
    const sealed = sealedMessage('mallory@example.com', ['bob@example.net'])
    const res = await rawExchange(com, {
      subject_token: await accessTokenFor(com, 'alice@example.com'),
      subject_token_type: AT,
      requested_token_type: JWT,
      headers: JSON.stringify(sealed.headers),
    })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description:
        'From <mallory@example.com> is not the signed-in user <alice@example.com>: mail is signed only for its author',
    })
  })

  it.each([
    [
      'a missing mandatory header',
      (h: [string, string][]) => h.filter(([n]) => n !== 'Body-Digest'),
      /must include Body-Digest/,
    ],
    [
      'Bcc',
      (h: [string, string][]) => [...h, ['Bcc', 'eve@example.net'] as [string, string]],
      /"Bcc" may not be signed/,
    ],
    [
      'a malformed digest',
      (h: [string, string][]) => h.map(([n, v]) => [n, n === 'Body-Digest' ? 'abc' : v] as [string, string]),
      /digest in angle brackets/,
    ],
  ])('refuses headers with %s', async (_name, mutate, description) => {
    const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
    const res = await rawExchange(com, {
      subject_token: await accessTokenFor(com, 'alice@example.com'),
      subject_token_type: AT,
      requested_token_type: JWT,
      headers: JSON.stringify(mutate(sealed.headers as [string, string][])),
    })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(res.body.error_description).toMatch(description)
  })

  it('only the MTA may exchange: the webmail gets unauthorized_client, an MTA without assertion invalid_client', async () => {
    const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
    const params = {
      subject_token: await accessTokenFor(com, 'alice@example.com'),
      subject_token_type: AT,
      requested_token_type: JWT,
      headers: JSON.stringify(sealed.headers),
    }
    const web = await rawExchange(com, params, { clientId: com.config.webClientId, clientAssertion: false })
    expect(web.status).toBe(400)
    expect(web.body.error).toBe('unauthorized_client')
    const bare = await rawExchange(com, params, { clientAssertion: false })
    expect(bare.status).toBe(401)
    expect(bare.body.error).toBe('invalid_client')
  })

  it('refuses a revoked access token', async () => {
    const token = await accessTokenFor(com, 'alice@example.com')
    const revoke = await fetch(`${com.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: com.config.webClientId }),
    })
    expect(revoke.status).toBe(200)
    const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
    const res = await rawExchange(com, {
      subject_token: token,
      subject_token_type: AT,
      requested_token_type: JWT,
      headers: JSON.stringify(sealed.headers),
    })
    expect(res.body).toMatchObject({
      error: 'invalid_grant',
      error_description: 'subject_token: the access token has been revoked',
    })
  })

  it('refuses a hop assertion presented as an access token (wrong typ)', async () => {
    const { assertion } = await aliceToBob()
    const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
    const res = await rawExchange(com, {
      subject_token: assertion,
      subject_token_type: AT,
      requested_token_type: JWT,
      headers: JSON.stringify(sealed.headers),
    })
    expect(res.body.error).toBe('invalid_grant')
    expect(res.body.error_description).toMatch(/typ "fz-hop\+jwt" is not the expected "at\+jwt"/)
  })
})

describe('DPoP at the token endpoint', () => {
  const sendParams = async () => ({
    subject_token: await accessTokenFor(com, 'alice@example.com'),
    subject_token_type: AT,
    requested_token_type: JWT,
    headers: JSON.stringify(sealedMessage('alice@example.com', ['bob@example.net']).headers),
  })

  it('requires a proof', async () => {
    const res = await rawExchange(com, await sendParams(), { dpop: null })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_dpop_proof')
  })

  it('refuses a replayed proof', async () => {
    const first = await rawExchange(com, await sendParams())
    expect(first.status).toBe(200)
    const again = await rawExchange(com, await sendParams(), { dpop: first.dpop! })
    expect(again.status).toBe(400)
    expect(again.body).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'this DPoP proof (jti) was already used',
    })
  })

  it.each([
    ['another htu', { htu: 'http://127.0.0.1:1/token' }, /htu/],
    ['another htm', { htm: 'GET' }, /htm "GET"/],
  ])('refuses a proof for %s', async (_name, options, description) => {
    const res = await rawExchange(com, await sendParams(), options)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_dpop_proof')
    expect(res.body.error_description).toMatch(description)
  })

  it('server nonces: use_dpop_nonce with a DPoP-Nonce header, then the retry succeeds', async () => {
    com.gateway.ctx.as.dpopNonces.required = true
    try {
      const first = await rawExchange(com, await sendParams())
      expect(first.status).toBe(400)
      expect(first.body.error).toBe('use_dpop_nonce')
      const nonce = first.headers.get('dpop-nonce')
      expect(nonce).toBeTruthy()
      const retry = await rawExchange(com, await sendParams(), { nonce: nonce! })
      expect(retry.status).toBe(200)
      expect(retry.headers.get('dpop-nonce')).toBeTruthy() // a fresh nonce on every answer
      // The protocol's own exchange client retries once by itself.
      const params = await sendParams()
      const issued = await exchangeToken({
        tokenEndpoint: `${com.url}/token`,
        issuer: com.url,
        clientId: com.config.mtaClientId,
        clientKey: com.gateway.ctx.as.keys.mtaClientKey,
        dpopKey: await createDpopKey(),
        subjectToken: params.subject_token,
        subjectTokenType: 'access_token',
        requestedTokenType: 'jwt',
        headers: JSON.parse(params.headers),
        fetch,
        now,
      })
      expect(issued.tokenType).toBe('N_A')
    } finally {
      com.gateway.ctx.as.dpopNonces.required = false
    }
  })
})
