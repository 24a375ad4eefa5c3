import * as oauth from 'oauth4webapi'
import type { WebConfig } from './config.ts'

// Sign-in for the webmail, a public client: Authorization Code + PKCE S256 (RFC 7636), state, and the
// RFC 9207 `iss` check. Token storage trade-off: the access token lives only in memory (XSS in our
// origin could still use it while the page is open, but nothing persists it); the rotating refresh
// token is kept in sessionStorage so a reload in the same tab stays signed in, while closing the tab
// ends the session. localStorage would survive the browser and be readable by any tab: not used.

export type AuthErrorCode =
  | 'as_unreachable'
  | 'as_metadata_invalid'
  | 'state_mismatch'
  | 'authorization_denied'
  | 'token_error'
  | 'no_session'

export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'AuthError'
  }
}

export interface AuthStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

export interface AuthDeps {
  config: WebConfig
  storage: AuthStorage
  fetch?: typeof fetch
  now?: () => number
  /** Full-page navigation (to the AS); replaced in tests. */
  navigate?: (url: string) => void
  /** Full-page form POST (sign-out at the AS, which refuses a GET that changes state); replaced in tests. */
  postForm?: (url: string, fields: Record<string, string>) => void
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

export interface SessionTokens {
  accessToken: string
  /** Epoch ms when the access token expires. */
  expiresAt: number
  email?: string
}

const PENDING_KEY = 'fz:auth:pending'
const REFRESH_KEY = 'fz:auth:refresh'
// Not a secret: lets a reload without network open the offline copy of the right account.
const EMAIL_KEY = 'fz:auth:email'
// Refresh this long before expiry so a request never carries a token about to lapse.
const REFRESH_MARGIN_MS = 60_000

export interface AuthSession {
  readonly redirectUri: string
  /** Sends the browser to the AS login page. */
  signIn(): Promise<void>
  /** Completes the redirect back from the AS (on /callback). */
  handleCallback(currentUrl: string): Promise<SessionTokens>
  /** Restores a session from the stored refresh token; undefined when there is none. */
  resume(): Promise<SessionTokens | undefined>
  /** A valid access token, refreshing first when it is about to expire. */
  accessToken(): Promise<string>
  current(): SessionTokens | undefined
  /** The account of the stored session, when there is one (for offline start). */
  storedAccount(): string | undefined
  /** Revokes the refresh token, forgets everything and ends the AS session. */
  signOut(): Promise<void>
  subscribe(listener: (tokens: SessionTokens | undefined) => void): () => void
  /** Why the session ended when the AS refused to refresh it (shown on the sign-in page). */
  lastError(): AuthError | undefined
}

/** Decodes the payload of a JWT without verifying it (display only; the api verifies). */
export function decodeJwtPayload(jwt: string): Record<string, unknown> | undefined {
  const part = jwt.split('.')[1]
  if (!part) return undefined
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/')
    const json = new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)))
    const value: unknown = JSON.parse(json)
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The AS endpoints at their documented paths under the issuer (docs/architecture.md §4). */
function layoutMetadata(issuer: string): oauth.AuthorizationServer {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    revocation_endpoint: `${issuer}/revoke`,
    end_session_endpoint: `${issuer}/logout`,
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
  }
}

/** Creates the session object. @see RFC 6749 §4.1, RFC 7636 §4, RFC 9207 §2.4, RFC 7009 §2 */
export function createAuthSession(deps: AuthDeps): AuthSession {
  const { config, storage } = deps
  const fetchFn = deps.fetch ?? fetch.bind(globalThis)
  const now = deps.now ?? Date.now
  const navigate = deps.navigate ?? ((url: string) => window.location.assign(url))
  const postForm = deps.postForm ?? submitForm
  const setTimer = deps.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms))
  const clearTimer = deps.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>))
  const client: oauth.Client = { client_id: config.clientId }
  const clientAuth = oauth.None()
  const redirectUri = `${config.apiUrl}/callback`
  const insecure = config.issuer.startsWith('http:')
  const httpOptions = { [oauth.customFetch]: fetchFn, [oauth.allowInsecureRequests]: insecure }

  let metadata: oauth.AuthorizationServer | undefined
  let tokens: SessionTokens | undefined
  let refreshTimer: unknown
  let refreshing: Promise<SessionTokens> | undefined
  let ended: AuthError | undefined
  const listeners = new Set<(t: SessionTokens | undefined) => void>()

  const emit = () => {
    for (const l of listeners) l(tokens)
  }

  /**
   * RFC 8414 §3.1: the metadata document at the well-known URL inserted before the issuer's path
   * (`https://as.example/fz` → `https://as.example/.well-known/oauth-authorization-server/fz`).
   * When the browser cannot read it although the server answers (a gateway without CORS on the
   * metadata route), the endpoints fall back to the node layout of docs/architecture.md §4.
   */
  async function discover(): Promise<oauth.AuthorizationServer> {
    if (metadata) return metadata
    const issuer = new URL(config.issuer)
    const url = `${issuer.origin}/.well-known/oauth-authorization-server${issuer.pathname.replace(/\/$/, '')}`
    let response: Response
    try {
      response = await fetchFn(url, { headers: { accept: 'application/json' } })
    } catch (cause) {
      if (await reachableWithoutCors(url)) {
        metadata = layoutMetadata(config.issuer)
        return metadata
      }
      throw new AuthError(
        'as_unreachable',
        `The sign-in server of ${config.domain} cannot be reached (${config.issuer}). Check your connection and try again.`,
        { cause },
      )
    }
    if (!response.ok) {
      throw new AuthError(
        'as_unreachable',
        `The sign-in server of ${config.domain} answered HTTP ${response.status}. Try again in a moment.`,
      )
    }
    try {
      metadata = await oauth.processDiscoveryResponse(issuer, response)
    } catch (cause) {
      throw new AuthError(
        'as_metadata_invalid',
        `The sign-in server's metadata is invalid: ${String(cause)}`,
        { cause },
      )
    }
    return metadata
  }

  /** An opaque (no-cors) request still fails on a dead server: tells "down" from "no CORS". */
  async function reachableWithoutCors(url: string): Promise<boolean> {
    if (typeof window === 'undefined') return false
    try {
      await fetchFn(url, { mode: 'no-cors' })
      return true
    } catch {
      return false
    }
  }

  function accept(response: oauth.TokenEndpointResponse): SessionTokens {
    ended = undefined
    const claims = decodeJwtPayload(response.access_token)
    const expiresIn = response.expires_in ?? 300
    tokens = {
      accessToken: response.access_token,
      expiresAt: now() + expiresIn * 1000,
      ...(typeof claims?.email === 'string' ? { email: claims.email } : {}),
    }
    if (response.refresh_token) storage.setItem(REFRESH_KEY, response.refresh_token)
    if (tokens.email) storage.setItem(EMAIL_KEY, tokens.email)
    if (refreshTimer !== undefined) clearTimer(refreshTimer)
    if (response.refresh_token || storage.getItem(REFRESH_KEY)) {
      const delay = Math.max(5_000, expiresIn * 1000 - REFRESH_MARGIN_MS)
      refreshTimer = setTimer(() => {
        refresh().catch(() => {
          // The next accessToken() call retries and surfaces the error to the UI.
        })
      }, delay)
    }
    emit()
    return tokens
  }

  async function tokenCall(run: (as: oauth.AuthorizationServer) => Promise<oauth.TokenEndpointResponse>) {
    const as = await discover()
    try {
      return accept(await run(as))
    } catch (cause) {
      if (cause instanceof AuthError) throw cause
      if (cause instanceof TypeError) {
        throw new AuthError('as_unreachable', `The sign-in server of ${config.domain} cannot be reached.`, {
          cause,
        })
      }
      const description =
        cause instanceof oauth.ResponseBodyError
          ? `${cause.error}: ${cause.error_description ?? ''}`
          : String(cause)
      throw new AuthError('token_error', `Sign-in failed (${description.trim()}).`, { cause })
    }
  }

  function refresh(): Promise<SessionTokens> {
    if (refreshing) return refreshing
    const refreshToken = storage.getItem(REFRESH_KEY)
    if (!refreshToken) return Promise.reject(new AuthError('no_session', 'Not signed in.'))
    refreshing = tokenCall(async (as) => {
      const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, httpOptions)
      return oauth.processRefreshTokenResponse(as, client, response)
    })
      .catch((error: unknown) => {
        // A refresh token the AS refuses is dead: forget it so the UI offers sign-in again.
        if (error instanceof AuthError && error.code === 'token_error') {
          storage.removeItem(REFRESH_KEY)
          tokens = undefined
          ended = error
          emit()
        }
        throw error
      })
      .finally(() => {
        refreshing = undefined
      })
    return refreshing
  }

  return {
    redirectUri,

    async signIn() {
      const as = await discover()
      if (!as.authorization_endpoint)
        throw new AuthError('as_metadata_invalid', 'The AS has no authorization endpoint.')
      const verifier = oauth.generateRandomCodeVerifier()
      const state = oauth.generateRandomState()
      const challenge = await oauth.calculatePKCECodeChallenge(verifier)
      storage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }))
      const url = new URL(as.authorization_endpoint)
      url.searchParams.set('response_type', 'code')
      url.searchParams.set('client_id', config.clientId)
      url.searchParams.set('redirect_uri', redirectUri)
      url.searchParams.set('code_challenge', challenge)
      url.searchParams.set('code_challenge_method', 'S256')
      url.searchParams.set('state', state)
      if (config.scope) url.searchParams.set('scope', config.scope)
      navigate(url.href)
    },

    async handleCallback(currentUrl) {
      const raw = storage.getItem(PENDING_KEY)
      storage.removeItem(PENDING_KEY)
      let pending: { verifier: string; state: string } | undefined
      try {
        pending = raw ? (JSON.parse(raw) as { verifier: string; state: string }) : undefined
      } catch {
        pending = undefined
      }
      if (!pending?.verifier || !pending.state) {
        throw new AuthError(
          'state_mismatch',
          'This sign-in link is stale or was opened in another tab. Sign in again.',
        )
      }
      const as = await discover()
      let params: URLSearchParams
      try {
        // Checks state and, per RFC 9207, that `iss` equals the AS we started with.
        params = oauth.validateAuthResponse(as, client, new URL(currentUrl), pending.state)
      } catch (cause) {
        if (cause instanceof oauth.AuthorizationResponseError) {
          throw new AuthError(
            'authorization_denied',
            `Sign-in was refused: ${cause.error}${cause.error_description ? ` (${cause.error_description})` : ''}.`,
            { cause },
          )
        }
        throw new AuthError(
          'state_mismatch',
          `The sign-in response did not match this tab: ${String(cause)}`,
          { cause },
        )
      }
      const verifier = pending.verifier
      return tokenCall(async (as2) => {
        const response = await oauth.authorizationCodeGrantRequest(
          as2,
          client,
          clientAuth,
          params,
          redirectUri,
          verifier,
          httpOptions,
        )
        return oauth.processAuthorizationCodeResponse(as2, client, response)
      })
    },

    async resume() {
      if (!storage.getItem(REFRESH_KEY)) return undefined
      return refresh()
    },

    async accessToken() {
      if (tokens && tokens.expiresAt - now() > 10_000) return tokens.accessToken
      return (await refresh()).accessToken
    },

    current: () => tokens,
    storedAccount: () =>
      storage.getItem(REFRESH_KEY) ? (storage.getItem(EMAIL_KEY) ?? undefined) : undefined,

    async signOut() {
      const refreshToken = storage.getItem(REFRESH_KEY)
      storage.removeItem(REFRESH_KEY)
      storage.removeItem(PENDING_KEY)
      storage.removeItem(EMAIL_KEY)
      if (refreshTimer !== undefined) clearTimer(refreshTimer)
      const access = tokens?.accessToken
      tokens = undefined
      emit()
      try {
        const as = await discover()
        if (as.revocation_endpoint) {
          // RFC 7009 §2: revoking the refresh token ends the grant; the access token expires soon anyway.
          for (const token of [refreshToken, access]) {
            if (!token) continue
            const response = await oauth.revocationRequest(as, client, clientAuth, token, httpOptions)
            await oauth.processRevocationResponse(response).catch(() => undefined)
          }
        }
      } catch {
        // Signing out must always succeed locally, even when the AS is down.
      }
      const logout =
        typeof metadata?.end_session_endpoint === 'string'
          ? metadata.end_session_endpoint
          : `${config.issuer}/logout`
      // A POST from the webmail's origin: the AS ends its session only on a POST whose Origin it trusts
      // (CSRF protection), never on a GET a foreign page could trigger.
      postForm(logout, { client_id: config.clientId, post_logout_redirect_uri: `${config.apiUrl}/` })
    },

    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },

    lastError: () => ended,
  }
}

/** Submits a hidden form: a top-level POST navigation (the browser sends the webmail's Origin). */
function submitForm(url: string, fields: Record<string, string>): void {
  const form = document.createElement('form')
  form.method = 'post'
  form.action = url
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement('input')
    input.type = 'hidden'
    input.name = name
    input.value = value
    form.append(input)
  }
  document.body.append(form)
  form.submit()
}
