import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { explainAuth } from '../lib/explain.ts'
import { memoryStorage } from '../lib/offline-queue.ts'
import { AuthError, createAuthSession, decodeJwtPayload } from './oauth-session.ts'

/** A loopback port that nothing listens on (bound, read, then released). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

const configFor = (port: number) => ({
  issuer: `http://127.0.0.1:${port}`,
  clientId: 'webmail',
  apiUrl: 'http://127.0.0.1:1',
  domain: 'example.com',
})

describe('auth session', () => {
  it('says clearly when the AS cannot be reached', async () => {
    const port = await closedPort()
    const session = createAuthSession({
      config: configFor(port),
      storage: memoryStorage(),
      navigate: () => {},
    })
    const error = await session.signIn().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).code).toBe('as_unreachable')
    expect((error as AuthError).message).toMatch(/cannot be reached/)
  })

  it('refuses a callback without a pending sign-in from this tab (CSRF / stale link)', async () => {
    const session = createAuthSession({ config: configFor(1), storage: memoryStorage(), navigate: () => {} })
    const error = await session
      .handleCallback('http://127.0.0.1:1/callback?code=x&state=y')
      .catch((e: unknown) => e)
    expect((error as AuthError).code).toBe('state_mismatch')
  })

  it('has no session without a refresh token and will not hand out a token', async () => {
    const session = createAuthSession({ config: configFor(1), storage: memoryStorage(), navigate: () => {} })
    expect(await session.resume()).toBeUndefined()
    const error = await session.accessToken().catch((e: unknown) => e)
    expect((error as AuthError).code).toBe('no_session')
  })

  it('signs out with a POST to the AS (never a GET), even when the AS is down', async () => {
    const posted: Array<{ url: string; fields: Record<string, string> }> = []
    const navigated: string[] = []
    const session = createAuthSession({
      config: configFor(await closedPort()),
      storage: memoryStorage(),
      navigate: (url) => navigated.push(url),
      postForm: (url, fields) => posted.push({ url, fields }),
    })
    await session.signOut()
    expect(navigated).toEqual([])
    expect(posted).toHaveLength(1)
    expect(posted[0]?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/logout$/)
    expect(posted[0]?.fields).toEqual({
      client_id: 'webmail',
      post_logout_redirect_uri: 'http://127.0.0.1:1/',
    })
  })

  it('remembers why the AS refused the refresh (a password change revoked it), and signs out', async () => {
    // A loopback AS whose token endpoint answers what the gateway answers for a revoked refresh token.
    const server = createHttpServer((req, res) => {
      const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`
      res.setHeader('content-type', 'application/json')
      if (req.url === '/.well-known/oauth-authorization-server') {
        res.end(
          JSON.stringify({
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
          }),
        )
        return
      }
      res.statusCode = 400
      res.end(
        JSON.stringify({
          error: 'invalid_grant',
          error_description: 'the refresh token has been revoked; sign in again',
        }),
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const storage = memoryStorage()
      storage.setItem('fz:auth:refresh', 'rt-revoked')
      const port = (server.address() as { port: number }).port
      const session = createAuthSession({ config: configFor(port), storage, navigate: () => {} })
      const seen: unknown[] = []
      session.subscribe((t) => seen.push(t))
      const error = await session.resume().catch((e: unknown) => e)
      expect((error as AuthError).code).toBe('token_error')
      expect(session.lastError()).toBe(error)
      expect(seen).toEqual([undefined])
      expect(storage.getItem('fz:auth:refresh')).toBeNull()
      expect(explainAuth(session.lastError()).sentence).toMatch(/your password was changed/)
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('uses redirect_uri = apiUrl + /callback', () => {
    const session = createAuthSession({ config: configFor(1), storage: memoryStorage() })
    expect(session.redirectUri).toBe('http://127.0.0.1:1/callback')
  })

  it('decodes a JWT payload for display and rejects garbage', () => {
    const payload = Buffer.from(JSON.stringify({ email: 'alice@example.com' })).toString('base64url')
    expect(decodeJwtPayload(`e30.${payload}.sig`)).toEqual({ email: 'alice@example.com' })
    expect(decodeJwtPayload('nonsense')).toBeUndefined()
    expect(decodeJwtPayload('a.!!!.c')).toBeUndefined()
  })
})
