import {
  CLIENT_ASSERTION_TYPE,
  createClientAssertion,
  createDpopKey,
  createDpopProof,
} from '@federizer/protocol'
import { setUserDisabled } from '@federizer/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueAccessToken } from '../src/as/tokens.ts'
import { AT, GRANT, JWT, rawExchange, sealedMessage } from './as-exchange-helpers.ts'
import { addUser, discoverAs, signInThroughForm, startDomain, type TestDomain } from './as-helpers.ts'

let d: TestDomain
beforeAll(async () => {
  d = await startDomain('example.com')
  await addUser(d, 'alice')
  await addUser(d, 'gina')
})
afterAll(async () => {
  await d.close()
})

const post = async (
  path: string,
  body: Record<string, string> | string,
  headers: Record<string, string> = {},
) => {
  const response = await fetch(`${d.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : new URLSearchParams(body),
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, string>) : {},
  }
}

async function signedInTokens(email = 'alice@example.com') {
  const as = await discoverAs(d)
  const { posted, verifier } = await signInThroughForm(d, as, { email })
  const code = new URL(posted.headers.get('location')!).searchParams.get('code')!
  const res = await post('/token', {
    grant_type: 'authorization_code',
    code,
    redirect_uri: `${d.config.apiUrl}/callback`,
    code_verifier: verifier,
    client_id: d.config.webClientId,
  })
  expect(res.status).toBe(200)
  return res.body
}

const accessToken = async (account = 'alice@example.com') =>
  (await issueAccessToken(d.gateway.ctx, { account, clientId: d.config.webClientId, scope: 'mail' })).token
const sendParams = async (account = 'alice@example.com') => ({
  subject_token: await accessToken(account),
  subject_token_type: AT,
  requested_token_type: JWT,
  headers: JSON.stringify(sealedMessage(account, ['bob@example.net']).headers),
})

describe('token endpoint input rules', () => {
  it('unsupported_grant_type', async () => {
    const res = await post('/token', {
      grant_type: 'password',
      client_id: d.config.webClientId,
      username: 'a',
      password: 'b',
    })
    expect(res.body).toEqual({
      error: 'unsupported_grant_type',
      error_description: 'grant_type "password" is not supported',
    })
  })

  it('a refresh may not widen the scope, and the refresh token survives the refusal', async () => {
    const tokens = await signedInTokens()
    const res = await post('/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: d.config.webClientId,
      scope: 'mail internet_mail',
    })
    expect(res.body).toEqual({
      error: 'invalid_scope',
      error_description: 'a refresh may not widen the scope beyond "mail"',
    })
    const ok = await post('/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: d.config.webClientId,
    })
    expect(ok.status).toBe(200)
  })

  it('a disabled account loses its refresh tokens and cannot have mail signed', async () => {
    const tokens = await signedInTokens('gina@example.com')
    const params = await sendParams('gina@example.com')
    await setUserDisabled(d.gateway.ctx.db, 'gina@example.com', true)
    try {
      const refresh = await post('/token', {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token!,
        client_id: d.config.webClientId,
      })
      expect(refresh.body.error).toBe('invalid_grant')
      const exchange = await rawExchange(d, params)
      expect(exchange.body).toEqual({
        error: 'invalid_grant',
        error_description: 'subject_token: the account gina@example.com is disabled or gone',
      })
    } finally {
      await setUserDisabled(d.gateway.ctx.db, 'gina@example.com', false)
    }
  })

  it('an oversized body is refused with 413 invalid_request', async () => {
    const res = await post(
      '/token',
      `grant_type=refresh_token&client_id=x&refresh_token=${'a'.repeat(70 * 1024)}`,
    )
    expect(res.status).toBe(413)
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'the request body exceeds 64kb' })
  })

  it('a replayed client assertion is invalid_client', async () => {
    const assertion = await createClientAssertion({
      clientId: d.config.mtaClientId,
      audience: d.url,
      key: d.gateway.ctx.as.keys.mtaClientKey,
      now: Math.floor(Date.now() / 1000),
    })
    const send = async () => {
      const key = await createDpopKey()
      const dpop = await createDpopProof({
        key,
        htm: 'POST',
        htu: `${d.url}/token`,
        now: Math.floor(Date.now() / 1000),
      })
      return post(
        '/token',
        {
          grant_type: GRANT,
          ...(await sendParams()),
          client_assertion_type: CLIENT_ASSERTION_TYPE,
          client_assertion: assertion,
        },
        { dpop },
      )
    }
    expect((await send()).status).toBe(200)
    const again = await send()
    expect(again.status).toBe(401)
    expect(again.body).toEqual({
      error: 'invalid_client',
      error_description: 'client_assertion: this client assertion (jti) was already used',
    })
  })

  it('a client assertion whose aud is the token endpoint, not the issuer, is invalid_client (RFC 7523 §3)', async () => {
    for (const audience of [`${d.url}/token`, `${d.url}/`, 'https://as.elsewhere.example']) {
      const assertion = await createClientAssertion({
        clientId: d.config.mtaClientId,
        audience,
        key: d.gateway.ctx.as.keys.mtaClientKey,
        now: Math.floor(Date.now() / 1000),
      })
      const key = await createDpopKey()
      const dpop = await createDpopProof({
        key,
        htm: 'POST',
        htu: `${d.url}/token`,
        now: Math.floor(Date.now() / 1000),
      })
      const res = await post(
        '/token',
        {
          grant_type: GRANT,
          ...(await sendParams()),
          client_assertion_type: CLIENT_ASSERTION_TYPE,
          client_assertion: assertion,
        },
        { dpop },
      )
      expect({ audience, status: res.status, error: res.body.error }).toEqual({
        audience,
        status: 401,
        error: 'invalid_client',
      })
      expect(res.body.error_description).toMatch(/^client_assertion: /)
    }
  })

  it('a client assertion signed by another key is invalid_client', async () => {
    const other = await startDomain('example.net')
    try {
      const assertion = await createClientAssertion({
        clientId: d.config.mtaClientId,
        audience: d.url,
        key: other.gateway.ctx.as.keys.mtaClientKey,
        now: Math.floor(Date.now() / 1000),
      })
      const res = await post('/token', {
        grant_type: GRANT,
        ...(await sendParams()),
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: assertion,
      })
      expect(res.status).toBe(401)
      expect(res.body.error).toBe('invalid_client')
      expect(res.body.error_description).toMatch(/^client_assertion: no key with kid/)
    } finally {
      await other.close()
    }
  })

  it.each([
    [
      'actor_token',
      { actor_token: 'x', actor_token_type: JWT },
      'invalid_request',
      'delegation (actor_token) is not supported',
    ],
    [
      'an unknown subject_token_type',
      { subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' },
      'unsupported_token_type',
      'subject_token_type "urn:ietf:params:oauth:token-type:saml2" is not supported',
    ],
    [
      'audience in a send',
      { audience: 'https://example.net' },
      'invalid_request',
      '"audience" is not a parameter of the send exchange',
    ],
    [
      'no headers in a send',
      { headers: '' },
      'invalid_request',
      'the "headers" parameter (JSON array of [name, value]) is required',
    ],
    ['headers that are not JSON', { headers: '[[' }, 'invalid_request', '"headers" is not valid JSON'],
  ])('%s', async (_name, overrides, error, description) => {
    const res = await rawExchange(d, { ...(await sendParams()), ...overrides })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error, error_description: description })
  })

  it('an access token without the mail scope is not exchanged', async () => {
    const token = (
      await issueAccessToken(d.gateway.ctx, {
        account: 'alice@example.com',
        clientId: d.config.webClientId,
        scope: 'profile',
      })
    ).token
    const res = await rawExchange(d, { ...(await sendParams()), subject_token: token })
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description: 'subject_token: the access token lacks the "mail" scope',
    })
  })

  it('a fetch exchange needs audience and message_id', async () => {
    const res = await rawExchange(d, {
      subject_token: await accessToken(),
      subject_token_type: JWT,
      requested_token_type: AT,
      message_id: '<x@example.net>',
    })
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: 'the "audience" parameter is required',
    })
  })

  it('revocation of another client’s token is refused', async () => {
    const tokens = await signedInTokens()
    const assertion = await createClientAssertion({
      clientId: d.config.mtaClientId,
      audience: d.url,
      key: d.gateway.ctx.as.keys.mtaClientKey,
      now: Math.floor(Date.now() / 1000),
    })
    const res = await post('/revoke', {
      token: tokens.refresh_token!,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    })
    expect(res.body).toEqual({
      error: 'unauthorized_client',
      error_description: 'the token was issued to another client',
    })
    const still = await post('/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: d.config.webClientId,
    })
    expect(still.status).toBe(200)
  })
})

const liveRefreshTokens = async () =>
  (
    await d.gateway.ctx.db
      .selectFrom('refresh_tokens')
      .select('token_hash')
      .where('revoked_at', 'is', null)
      .where('rotated_at', 'is', null)
      .execute()
  ).length

describe('single use and time windows', () => {
  it('three concurrent redemptions of one code: no usable token survives', async () => {
    const as = await discoverAs(d)
    const { posted, verifier } = await signInThroughForm(d, as)
    const code = new URL(posted.headers.get('location')!).searchParams.get('code')!
    const body = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: `${d.config.apiUrl}/callback`,
      code_verifier: verifier,
      client_id: d.config.webClientId,
    }
    const liveBefore = await liveRefreshTokens()
    const results = await Promise.all([post('/token', body), post('/token', body), post('/token', body)])
    // Whether the replays came before or after the first redemption finished issuing, no usable token
    // survives: either the winner's answer is already an error, or its tokens were revoked afterwards.
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1)
    for (const r of results.filter((x) => x.status !== 200)) expect(r.body.error).toBe('invalid_grant')
    const winner = results.find((r) => r.status === 200)
    if (winner) {
      const refresh = await post('/token', {
        grant_type: 'refresh_token',
        refresh_token: winner.body.refresh_token!,
        client_id: d.config.webClientId,
      })
      expect(refresh.body.error).toBe('invalid_grant')
    }
    expect(await liveRefreshTokens()).toBe(liveBefore)
  })

  it('a DPoP proof outside the iat window is refused', async () => {
    const key = await createDpopKey()
    const stale = await createDpopProof({
      key,
      htm: 'POST',
      htu: `${d.url}/token`,
      now: Math.floor(Date.now() / 1000) - 600,
    })
    const res = await rawExchange(d, await sendParams(), { dpop: stale })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_dpop_proof')
    expect(res.body.error_description).toMatch(/outside the accepted window of ±60 s/)
  })

  it('sign-in attempts are limited per client address', async () => {
    await d.gateway.ctx.as.limiter.reset('loginPerIp', '127.0.0.1') // earlier sign-ins of this file counted too
    d.gateway.ctx.as.limits.loginPerIp = { max: 1, windowSeconds: 600 }
    try {
      const as = await discoverAs(d)
      expect((await signInThroughForm(d, as, { password: 'wrong password' })).posted.status).toBe(401)
      const limited = (await signInThroughForm(d, as)).posted
      expect(limited.status).toBe(429)
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    } finally {
      d.gateway.ctx.as.limits.loginPerIp = { max: 50, windowSeconds: 900 }
      await d.gateway.ctx.as.limiter.reset('loginPerIp', '127.0.0.1')
    }
  })
})

describe('authorization endpoint rules', () => {
  it('prompt=none without a session answers login_required at the redirect_uri', async () => {
    const url = new URL(`${d.url}/authorize`)
    for (const [k, v] of Object.entries({
      client_id: d.config.webClientId,
      redirect_uri: `${d.config.apiUrl}/callback`,
      response_type: 'code',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 'quiet',
      prompt: 'none',
    })) {
      url.searchParams.set(k, v)
    }
    const res = await fetch(url, { redirect: 'manual' })
    expect(res.status).toBe(303)
    const location = new URL(res.headers.get('location')!)
    expect(Object.fromEntries(location.searchParams)).toEqual({
      error: 'login_required',
      state: 'quiet',
      iss: d.url,
    })
  })

  it('an address outside the domain never signs in', async () => {
    const as = await discoverAs(d)
    const { posted } = await signInThroughForm(d, as, { email: 'alice@example.net' })
    expect(posted.status).toBe(401)
  })
})

describe('failures inside the AS', () => {
  it('a damaged key file does not stop signing; an internal failure is a bare server_error without a stack', async () => {
    let clock = Math.floor(Date.now() / 1000)
    const broken = await startDomain('example.net', { now: () => clock })
    try {
      await addUser(broken, 'alice')
      const { writeFile } = await import('node:fs/promises')
      const { join } = await import('node:path')
      await writeFile(join(broken.config.dataDir, 'keys', 'as-signing.json'), '{ not json')
      clock += 5
      const jwks = await fetch(`${broken.url}/jwks`)
      expect(jwks.status).toBe(200)
      expect(((await jwks.json()) as { keys: unknown[] }).keys).toHaveLength(1)
      const redeem = async () => {
        const as = await discoverAs(broken)
        const { posted, verifier } = await signInThroughForm(broken, as)
        const code = new URL(posted.headers.get('location')!).searchParams.get('code')!
        return fetch(`${broken.url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            redirect_uri: `${broken.config.apiUrl}/callback`,
            code_verifier: verifier,
            client_id: broken.config.webClientId,
          }),
        })
      }
      clock += 5
      expect((await redeem()).status).toBe(200)
      // Now the database goes away under the running server.
      const as = await discoverAs(broken)
      const { posted, verifier } = await signInThroughForm(broken, as)
      const code = new URL(posted.headers.get('location')!).searchParams.get('code')!
      await broken.gateway.ctx.db.destroy()
      const token = await fetch(`${broken.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: `${broken.config.apiUrl}/callback`,
          code_verifier: verifier,
          client_id: broken.config.webClientId,
        }),
      })
      expect(token.status).toBe(500)
      const text = await token.text()
      expect(JSON.parse(text)).toEqual({
        error: 'server_error',
        error_description: 'the authorization server failed; the error was logged',
      })
      expect(text).not.toMatch(/ at |\.ts:|destroyed/)
    } finally {
      await broken.close().catch(() => undefined)
    }
  })
})
