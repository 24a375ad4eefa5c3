import { decodeJwt } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addUser,
  cookieFetch,
  discoverAs,
  insecure,
  parseForm,
  signInThroughForm,
  startDomain,
  type TestDomain,
} from './as-helpers.ts'

let d: TestDomain
let as: oauth.AuthorizationServer
let client: oauth.Client
const none = oauth.None()

beforeAll(async () => {
  d = await startDomain('example.com')
  await addUser(d, 'alice', { name: 'Alice' })
  await addUser(d, 'carol')
  as = await discoverAs(d)
  client = { client_id: d.config.webClientId }
})
afterAll(async () => {
  await d.close()
})

const callbackUrl = () => `${d.config.apiUrl}/callback`

async function codeFromSignIn(options: Parameters<typeof signInThroughForm>[2] = {}) {
  const { posted, verifier, state, browser } = await signInThroughForm(d, as, options)
  expect(posted.status).toBe(303)
  const location = new URL(posted.headers.get('location')!)
  const params = oauth.validateAuthResponse(as, client, location, state)
  return { params, verifier, browser, location }
}

async function redeem(params: URLSearchParams, verifier: string) {
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    none,
    params,
    callbackUrl(),
    verifier,
    insecure,
  )
  return oauth.processAuthorizationCodeResponse(as, client, response)
}

async function rawToken(body: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(as.token_endpoint!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body),
  })
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, string>,
  }
}

const countRows = async (table: 'refresh_tokens' | 'as_sessions' | 'auth_codes') =>
  (await d.gateway.ctx.db.selectFrom(table).selectAll().execute()).length

describe('metadata and keys', () => {
  it('publishes RFC 8414 metadata whose issuer is the gateway URL exactly', async () => {
    expect(as).toMatchObject({
      issuer: d.url,
      token_endpoint: `${d.url}/token`,
      revocation_endpoint: `${d.url}/revoke`,
      jwks_uri: `${d.url}/jwks`,
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
      authorization_response_iss_parameter_supported: true,
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'RS256'],
    })
    expect(as.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:token-exchange')
  })

  it('lets the webmail read metadata and keys from another origin (public documents, no credentials)', async () => {
    const headers = { origin: 'http://localhost:4100' }
    for (const p of ['/.well-known/oauth-authorization-server', '/jwks']) {
      const response = await fetch(`${d.url}${p}`, { headers })
      expect(response.headers.get('access-control-allow-origin')).toBe('*')
      expect(response.headers.get('access-control-allow-credentials')).toBeNull()
    }
    // The token endpoint stays limited to the webmail's own origin.
    const token = await fetch(`${d.url}/token`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    })
    expect(token.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('serves the JWKS with kid, alg and use and no private members', async () => {
    const response = await fetch(`${d.url}/jwks`)
    expect(response.headers.get('content-type')).toContain('application/jwk-set+json')
    const { keys } = (await response.json()) as { keys: Record<string, string>[] }
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({
      kty: 'EC',
      alg: 'ES256',
      use: 'sig',
      kid: d.gateway.ctx.as.keys.activeSigningKey().kid,
    })
    expect(keys[0]).not.toHaveProperty('d')
  })
})

describe('authorization code + PKCE through the login page', () => {
  it('signs in, echoes state, returns iss, and issues an RFC 9068 access token and a refresh token', async () => {
    const { params, verifier, location } = await codeFromSignIn()
    expect(location.origin + location.pathname).toBe(callbackUrl())
    expect(location.searchParams.get('iss')).toBe(d.url)
    const tokens = await redeem(params, verifier)
    expect(tokens.token_type).toBe('bearer')
    expect(tokens.expires_in).toBe(600)
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const claims = decodeJwt(tokens.access_token)
    expect(claims).toMatchObject({
      iss: d.url,
      sub: 'alice@example.com',
      email: 'alice@example.com',
      aud: d.config.apiUrl,
      client_id: d.config.webClientId,
      scope: 'mail',
    })
    expect(claims.exp! - claims.iat!).toBe(600)
    // Only hashes are stored.
    const stored = JSON.stringify(await d.gateway.ctx.db.selectFrom('refresh_tokens').selectAll().execute())
    expect(stored).not.toContain(tokens.refresh_token!)
  })

  it('a live session signs in again without the form; prompt=login shows the form', async () => {
    const { browser } = await codeFromSignIn()
    const url = new URL(as.authorization_endpoint!)
    const verifier = oauth.generateRandomCodeVerifier()
    for (const [k, v] of Object.entries({
      client_id: d.config.webClientId,
      redirect_uri: callbackUrl(),
      response_type: 'code',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 's2',
    })) {
      url.searchParams.set(k, v)
    }
    const again = await browser.fetch(url)
    expect(again.status).toBe(303)
    const params = oauth.validateAuthResponse(as, client, new URL(again.headers.get('location')!), 's2')
    expect((await redeem(params, verifier)).access_token).toBeTruthy()
    url.searchParams.set('prompt', 'login')
    expect((await browser.fetch(url)).status).toBe(200)
  })

  it('refresh rotates; reusing a rotated refresh token revokes the family', async () => {
    const { params, verifier } = await codeFromSignIn()
    const first = await redeem(params, verifier)
    const second = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, none, first.refresh_token!, insecure),
    )
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect(decodeJwt(second.access_token).sub).toBe('alice@example.com')
    const reuse = await rawToken({
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token!,
      client_id: client.client_id,
    })
    expect(reuse.status).toBe(400)
    expect(reuse.body.error).toBe('invalid_grant')
    expect(reuse.body.error_description).toMatch(/already used/)
    expect(reuse.headers.get('cache-control')).toBe('no-store')
    // The thief's rotated token is dead too.
    const stolen = await rawToken({
      grant_type: 'refresh_token',
      refresh_token: second.refresh_token!,
      client_id: client.client_id,
    })
    expect(stolen.body).toMatchObject({ error: 'invalid_grant' })
    expect(stolen.body.error_description).toMatch(/revoked/)
  })

  it('revocation (RFC 7009) ends a refresh family; unknown tokens answer 200', async () => {
    const { params, verifier } = await codeFromSignIn()
    const tokens = await redeem(params, verifier)
    const response = await oauth.revocationRequest(as, client, none, tokens.refresh_token!, insecure)
    await oauth.processRevocationResponse(response)
    const after = await rawToken({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: client.client_id,
    })
    expect(after.body).toMatchObject({ error: 'invalid_grant' })
    const unknown = await oauth.revocationRequest(as, client, none, 'no-such-token', insecure)
    expect(unknown.status).toBe(200)
  })

  it('wrong code_verifier: invalid_grant, no token issued', async () => {
    const { params } = await codeFromSignIn()
    const before = await countRows('refresh_tokens')
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      none,
      params,
      callbackUrl(),
      oauth.generateRandomCodeVerifier(),
      insecure,
    )
    await expect(oauth.processAuthorizationCodeResponse(as, client, response)).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: 'PKCE: code_verifier does not match the code_challenge',
    })
    expect(await countRows('refresh_tokens')).toBe(before)
  })

  it('a too-short verifier is refused', async () => {
    const { params } = await codeFromSignIn()
    const result = await rawToken({
      grant_type: 'authorization_code',
      code: params.get('code')!,
      redirect_uri: callbackUrl(),
      code_verifier: 'short',
      client_id: client.client_id,
    })
    expect(result.status).toBe(400)
    expect(result.body.error).toBe('invalid_grant')
    expect(result.body.error_description).toMatch(/43–128/)
  })

  it('a replayed code is refused and revokes the tokens it issued', async () => {
    const { params, verifier } = await codeFromSignIn()
    const tokens = await redeem(params, verifier)
    const replay = await rawToken({
      grant_type: 'authorization_code',
      code: params.get('code')!,
      redirect_uri: callbackUrl(),
      code_verifier: verifier,
      client_id: client.client_id,
    })
    expect(replay.status).toBe(400)
    expect(replay.body).toMatchObject({ error: 'invalid_grant' })
    expect(replay.body.error_description).toMatch(/already used/)
    const refresh = await rawToken({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: client.client_id,
    })
    expect(refresh.body.error).toBe('invalid_grant')
    const jti = decodeJwt(tokens.access_token).jti!
    const revoked = await d.gateway.ctx.db
      .selectFrom('token_revocations')
      .selectAll()
      .where('jti', '=', jti)
      .execute()
    expect(revoked).toHaveLength(1)
  })

  it('the code is bound to redirect_uri and client', async () => {
    const { params, verifier } = await codeFromSignIn()
    const wrong = await rawToken({
      grant_type: 'authorization_code',
      code: params.get('code')!,
      redirect_uri: `${d.config.apiUrl}/other`,
      code_verifier: verifier,
      client_id: client.client_id,
    })
    expect(wrong.body).toMatchObject({ error: 'invalid_grant' })
    expect(wrong.body.error_description).toMatch(/redirect_uri/)
    const unknownClient = await rawToken({
      grant_type: 'authorization_code',
      code: 'x',
      redirect_uri: callbackUrl(),
      code_verifier: verifier,
      client_id: 'nobody',
    })
    expect(unknownClient.status).toBe(401)
    expect(unknownClient.body.error).toBe('invalid_client')
  })
})

describe('authorization request errors', () => {
  const authorizeUrl = (overrides: Record<string, string | null>) => {
    const url = new URL(as.authorization_endpoint!)
    const base: Record<string, string | null> = {
      client_id: d.config.webClientId,
      redirect_uri: callbackUrl(),
      response_type: 'code',
      state: 'st',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      ...overrides,
    }
    for (const [k, v] of Object.entries(base)) if (v !== null) url.searchParams.set(k, v)
    return url
  }

  it('an unregistered redirect_uri is shown on the page, never redirected', async () => {
    const response = await fetch(authorizeUrl({ redirect_uri: 'https://evil.example/callback' }), {
      redirect: 'manual',
    })
    expect(response.status).toBe(400)
    expect(response.headers.get('location')).toBeNull()
    expect(await response.text()).toContain('redirect_uri is not registered')
  })

  it('an unknown client is shown on the page', async () => {
    const response = await fetch(authorizeUrl({ client_id: 'https://evil.example' }), { redirect: 'manual' })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('is not registered here')
  })

  it.each([
    ['plain', { code_challenge_method: 'plain' }, 'invalid_request', /S256/],
    ['missing method', { code_challenge_method: null }, 'invalid_request', /S256/],
    ['missing challenge', { code_challenge: null }, 'invalid_request', /PKCE is required/],
    ['token response type', { response_type: 'token' }, 'unsupported_response_type', /code/],
    ['unknown scope', { scope: 'admin' }, 'invalid_scope', /mail/],
  ])('%s: redirected with the error, state and iss', async (_name, overrides, error, description) => {
    const response = await fetch(authorizeUrl(overrides), { redirect: 'manual' })
    expect(response.status).toBe(303)
    const location = new URL(response.headers.get('location')!)
    expect(location.origin + location.pathname).toBe(callbackUrl())
    expect(location.searchParams.get('error')).toBe(error)
    expect(location.searchParams.get('error_description')).toMatch(description)
    expect(location.searchParams.get('state')).toBe('st')
    expect(location.searchParams.get('iss')).toBe(d.url)
    expect(location.searchParams.get('code')).toBeNull()
  })

  it('the login form rejects a missing CSRF token and a wrong password without issuing a code', async () => {
    const codes = await countRows('auth_codes')
    const browser = cookieFetch()
    const page = await browser.fetch(authorizeUrl({}))
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    const form = parseForm(await page.text())
    expect(form.fields.csrf).toMatch(/^[A-Za-z0-9_-]{32}$/)
    const post = (fields: Record<string, string>) =>
      browser.fetch(form.action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields),
      })
    const noCsrf = await post({
      ...form.fields,
      csrf: 'forged-value-forged-value-forged',
      email: 'alice@example.com',
      password: 'correct horse battery',
    })
    expect(noCsrf.status).toBe(403)
    expect(await noCsrf.text()).toContain('expired or was not sent from this page')
    const wrong = await post({ ...form.fields, email: 'alice@example.com', password: 'not the password' })
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).toContain('role="alert"')
    expect(await countRows('auth_codes')).toBe(codes)
  })

  it('login is rate limited per account with 429 and Retry-After', async () => {
    d.gateway.ctx.as.limits.loginPerAccount = { max: 2, windowSeconds: 600 }
    try {
      for (let i = 0; i < 2; i++) {
        const { posted } = await signInThroughForm(d, as, {
          email: 'carol@example.com',
          password: 'wrong password',
        })
        expect(posted.status).toBe(401)
      }
      const sessions = await countRows('as_sessions')
      const { posted } = await signInThroughForm(d, as, { email: 'carol@example.com' })
      expect(posted.status).toBe(429)
      expect(Number(posted.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(await posted.text()).toContain('Too many sign-in attempts')
      expect(await countRows('as_sessions')).toBe(sessions)
    } finally {
      d.gateway.ctx.as.limits.loginPerAccount = { max: 10, windowSeconds: 900 }
    }
  })

  it('the token endpoint limits each client (429, Retry-After) and failed authentications per address', async () => {
    const limits = d.gateway.ctx.as.limits
    const limiter = d.gateway.ctx.as.limiter
    const saved = structuredClone(limits)
    const forget = async () => {
      for (const ip of ['127.0.0.1', '::ffff:127.0.0.1', '0:0:0:0::/64']) {
        await limiter.reset('tokenFailuresPerAddress', ip)
        await limiter.reset('tokenPerClient', `${d.config.webClientId}:${ip}`)
      }
      await limiter.reset('tokenPerMtaClient', d.config.mtaClientId)
    }
    await forget() // earlier negative tests in this file failed authentications from this address
    try {
      // The public webmail client: its budget is per client and address.
      limits.tokenPerClient = { max: 2, windowSeconds: 60 }
      const body = { grant_type: 'refresh_token', refresh_token: 'x', client_id: d.config.webClientId }
      expect((await rawToken(body)).status).toBe(400)
      expect((await rawToken(body)).status).toBe(400)
      const limited = await rawToken(body)
      expect(limited.status).toBe(429)
      expect(limited.body.error).toBe('slow_down')
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
      await forget()

      // Junk naming the MTA fails authentication: it never spends the MTA's budget...
      limits.tokenPerMtaClient = { max: 1, windowSeconds: 60 }
      const junk = { grant_type: 'refresh_token', refresh_token: 'x', client_id: d.config.mtaClientId }
      for (let i = 0; i < 3; i++) expect((await rawToken(junk)).status).toBe(401)
      expect(await limiter.check('tokenPerMtaClient', d.config.mtaClientId)).toBe(0)
      await forget()

      // ...and failed authentications from one address are cut off with 429, while a client that
      // authenticates from the same address is not held back by them (issue 12 item 4).
      limits.tokenFailuresPerAddress = { max: 2, windowSeconds: 60 }
      const unknown = { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'no-such-client' }
      expect((await rawToken(unknown)).status).toBe(401)
      expect((await rawToken(unknown)).status).toBe(401)
      const cut = await rawToken(unknown)
      expect(cut.status).toBe(429)
      expect(cut.body.error_description).toMatch(/failed client authentications from this address/)
      expect((await rawToken(body)).status).toBe(400)
    } finally {
      Object.assign(limits, saved)
      await forget()
    }
  })

  it('answers CORS only for the webmail origin', async () => {
    const preflight = await fetch(as.token_endpoint!, {
      method: 'OPTIONS',
      headers: { origin: new URL(d.config.apiUrl).origin, 'access-control-request-method': 'POST' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(new URL(d.config.apiUrl).origin)
    const other = await fetch(as.token_endpoint!, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('rejects repeated parameters and non-form bodies with invalid_request', async () => {
    const repeated = await fetch(as.token_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&grant_type=authorization_code&client_id=x',
    })
    expect(await repeated.json()).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringMatching(/more than once/),
    })
    const json = await fetch(as.token_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(json.status).toBe(400)
    expect(await json.json()).toMatchObject({ error: 'invalid_request' })
  })

  it('logout is a POST from the webmail or the AS (CSRF), ends the session and only redirects to the webmail', async () => {
    const { browser } = await codeFromSignIn()
    const back = `${d.config.apiUrl}/`
    const post = (origin: string, redirect: string) =>
      browser.fetch(`${d.url}/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
        body: new URLSearchParams({ post_logout_redirect_uri: redirect }).toString(),
      })
    // A GET (a link, an image, a foreign page) changes nothing: it shows a sign-out button.
    const get = await browser.fetch(`${d.url}/logout?post_logout_redirect_uri=${encodeURIComponent(back)}`)
    expect(get.status).toBe(200)
    expect(await get.text()).toMatch(/<form method="post"[^>]*\/logout"/)
    // A POST from another site is refused and the session survives.
    const forged = await post('https://evil.example', back)
    expect(forged.status).toBe(403)
    expect(await forged.text()).toMatch(/came from another site, so nothing was changed/)
    const still = await browser.fetch(authorizeUrl({}))
    expect(still.status).toBe(303) // signed in: straight back with a code
    // The webmail's POST ends it and goes back to the webmail, never elsewhere.
    const out = await post(new URL(d.config.apiUrl).origin, back)
    expect(out.status).toBe(303)
    expect(out.headers.get('location')).toBe(back)
    const evil = await post(new URL(d.url).origin, 'https://evil.example/')
    expect(evil.status).toBe(200)
    expect(evil.headers.get('location')).toBeNull()
    const again = await browser.fetch(authorizeUrl({}))
    expect(again.status).toBe(200) // the form again: the session is gone
  })
})

describe('a gateway URL with a path', () => {
  it('serves metadata at the RFC 8414 §3.1 URL (inserted before the path) and signs in with cookies scoped to it', async () => {
    const edu = await startDomain('example.edu', { gatewayPath: '/as1' })
    try {
      await addUser(edu, 'alice')
      const issuer = new URL(edu.url)
      const origin = issuer.origin
      // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
      const eduAs = await oauth.processDiscoveryResponse(
        issuer,
        await fetch(`${origin}/.well-known/oauth-authorization-server/as1`),
      )
      expect((await fetch(`${edu.url}/.well-known/oauth-authorization-server`)).status).toBe(404)
      // oauth4webapi builds the same URL (its 'oauth2' algorithm is RFC 8414's).
      expect((await discoverAs(edu)).issuer).toBe(edu.url)
      expect(eduAs.issuer).toBe(edu.url)
      expect(eduAs.token_endpoint).toBe(`${edu.url}/token`)
      const { posted, browser } = await signInThroughForm(edu, eduAs)
      expect(posted.status).toBe(303)
      expect(new URL(posted.headers.get('location')!).searchParams.get('iss')).toBe(edu.url)
      expect([...browser.jar.keys()].sort()).toEqual(['fz_csrf', 'fz_session'])
      expect(posted.headers.getSetCookie().join('\n')).toMatch(
        /fz_session=[^;]+; Max-Age=43200; Path=\/as1; Expires=[^;]+; HttpOnly; SameSite=Lax/,
      )
    } finally {
      await edu.close()
    }
  })
})
