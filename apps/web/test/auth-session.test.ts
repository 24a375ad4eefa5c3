import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Network, type NetworkNode, startNetwork } from '@federizer/devnet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiClient } from '../src/api/trpc-client.ts'
import type { WebConfig } from '../src/auth/config.ts'
import { AuthError, createAuthSession } from '../src/auth/oauth-session.ts'
import { memoryStorage } from '../src/lib/offline-queue.ts'

// The webmail's sign-in session in Node against the real AS: the browser's part (login form, cookies,
// redirects) is played with fetch, everything else is the code the webmail runs.

let network: Network
let dataRoot: string
let node: NetworkNode
const ALICE = 'alice@example.com'

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-web-auth-'))
  network = await startNetwork({
    dataRoot,
    domains: [{ domain: 'example.com', users: [{ email: ALICE, password: 'alice-password-1' }] }],
  })
  node = network.node('example.com')
}, 60_000)

afterAll(async () => {
  await network?.stop()
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true })
})

const config = (): WebConfig => ({
  issuer: node.gatewayUrl,
  clientId: `webmail.${node.domain}`,
  apiUrl: node.apiUrl,
  domain: node.domain,
})

const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')

/** What a browser does between the AS redirect and the callback: show the form, post the password. */
async function loginAtAs(authorizeUrl: string, password: string): Promise<string> {
  const page = await fetch(authorizeUrl, { redirect: 'manual' })
  expect(page.status).toBe(200)
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ')
  const html = await page.text()
  const action = unescapeHtml(/<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '')
  const form = new URLSearchParams()
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(unescapeHtml(m[1] ?? ''), unescapeHtml(m[2] ?? ''))
  }
  form.set('email', ALICE)
  form.set('password', password)
  const answer = await fetch(new URL(action, authorizeUrl), {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    redirect: 'manual',
  })
  return answer.headers.get('location') ?? `status ${answer.status}`
}

async function signedIn() {
  const storage = memoryStorage()
  let authorizeUrl = ''
  const session = createAuthSession({
    config: config(),
    storage,
    navigate: (url) => {
      authorizeUrl = url
    },
  })
  await session.signIn()
  return { session, storage, authorizeUrl }
}

describe('sign-in session against the real AS', () => {
  it('sends PKCE S256 + state to /authorize and gets tokens the api accepts', async () => {
    const { session, storage, authorizeUrl } = await signedIn()
    const url = new URL(authorizeUrl)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(url.searchParams.get('state')).toBeTruthy()
    expect(url.searchParams.get('redirect_uri')).toBe(`${node.apiUrl}/callback`)

    const callback = await loginAtAs(authorizeUrl, 'alice-password-1')
    expect(new URL(callback).searchParams.get('iss')).toBe(node.gatewayUrl)
    const tokens = await session.handleCallback(callback)
    expect(tokens.email).toBe(ALICE)
    expect(storage.getItem('fz:auth:refresh')).toBeTruthy()

    const client = createApiClient(node.apiUrl, () => session.accessToken())
    await expect(client.account.me.query()).resolves.toMatchObject({ email: ALICE })

    // The same callback URL a second time (a replayed code) is refused before any token call.
    const replay = await session.handleCallback(callback).catch((e: unknown) => e)
    expect((replay as AuthError).code).toBe('state_mismatch')
  })

  it('refreshes silently with a rotating refresh token', async () => {
    const { session, storage, authorizeUrl } = await signedIn()
    await session.handleCallback(await loginAtAs(authorizeUrl, 'alice-password-1'))
    const first = storage.getItem('fz:auth:refresh')
    const before = session.current()?.accessToken
    const resumed = await session.resume()
    expect(resumed?.accessToken).toBeTruthy()
    expect(resumed?.accessToken).not.toBe(before)
    expect(storage.getItem('fz:auth:refresh')).not.toBe(first)

    // A reload in another tab with the old (rotated-out) refresh token is refused and signs out there.
    const stale = memoryStorage()
    stale.setItem('fz:auth:refresh', first as string)
    const other = createAuthSession({ config: config(), storage: stale, navigate: () => {} })
    const error = await other.resume().catch((e: unknown) => e)
    expect((error as AuthError).code).toBe('token_error')
    expect(stale.getItem('fz:auth:refresh')).toBeNull()
  })

  it('rejects a response whose iss is not our AS (RFC 9207 mix-up defence)', async () => {
    const { session, authorizeUrl } = await signedIn()
    const callback = new URL(await loginAtAs(authorizeUrl, 'alice-password-1'))
    callback.searchParams.set('iss', 'https://evil.example')
    const error = await session.handleCallback(callback.href).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).code).toBe('state_mismatch')
  })

  it('rejects a response with another state (CSRF)', async () => {
    const { session, authorizeUrl } = await signedIn()
    const callback = new URL(await loginAtAs(authorizeUrl, 'alice-password-1'))
    callback.searchParams.set('state', 'forged')
    const error = await session.handleCallback(callback.href).catch((e: unknown) => e)
    expect((error as AuthError).code).toBe('state_mismatch')
  })

  it('signs out: revokes the refresh token at the AS and goes to its logout endpoint', async () => {
    const { session, storage, authorizeUrl } = await signedIn()
    await session.handleCallback(await loginAtAs(authorizeUrl, 'alice-password-1'))
    const refresh = storage.getItem('fz:auth:refresh') as string
    let landed = ''
    const outgoing = createAuthSession({
      config: config(),
      storage,
      navigate: () => {
        throw new Error('sign-out must POST, never navigate')
      },
      postForm: (url) => {
        landed = url
      },
    })
    await outgoing.resume()
    const rotated = storage.getItem('fz:auth:refresh') as string
    expect(rotated).not.toBe(refresh)
    await outgoing.signOut()
    expect(storage.getItem('fz:auth:refresh')).toBeNull()
    expect(new URL(landed).pathname).toMatch(/\/logout$/)
    const later = memoryStorage()
    later.setItem('fz:auth:refresh', rotated)
    const error = await createAuthSession({ config: config(), storage: later, navigate: () => {} })
      .resume()
      .catch((e: unknown) => e)
    expect((error as AuthError).code).toBe('token_error')
  })
})
