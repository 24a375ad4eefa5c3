import { randomBytes, timingSafeEqual } from 'node:crypto'
import {
  createAsSession,
  createAuthCode,
  DATABASE_RETRY_AFTER_SECONDS,
  DatabaseUnavailableError,
  findAsSession,
  verifyPassword,
} from '@federizer/store'
import type { Request, Response } from 'express'
import type { GatewayContext } from '../context.ts'
import { clientAddressKey } from './client-address.ts'
import { MAIL_SCOPE, type PublicClient } from './clients.ts'
import { CSRF_COOKIE, readCookie, SESSION_COOKIE, setCookie } from './cookies.ts'
import { OAuthError } from './errors.ts'
import { type FormParams, readForm } from './form.ts'
import { errorPage, loginPage, sendPage } from './login-page.ts'

/** A validated authorization request (RFC 6749 §4.1.1 + RFC 7636 §4.3). */
interface AuthorizationRequest {
  client: PublicClient
  redirectUri: string
  state?: string
  codeChallenge: string
  scope: string
  prompt?: string
}

/** An error about client_id / redirect_uri: shown on the page, never redirected (RFC 6749 §4.1.2.1). */
class PageError extends Error {}

/** An error reported to the (verified) redirect_uri with state and iss (RFC 6749 §4.1.2.1, RFC 9207 §2). */
class RedirectError extends Error {
  constructor(
    readonly code: string,
    readonly description: string,
    readonly target: { redirectUri: string; state?: string },
  ) {
    super(description)
  }
}

function validateRequest(ctx: GatewayContext, params: FormParams): AuthorizationRequest {
  const clientId = params.get('client_id')
  const client = clientId === undefined ? undefined : ctx.as.clients.get(clientId)
  if (client?.kind !== 'public') {
    throw new PageError(
      clientId === undefined
        ? 'The request names no client_id.'
        : `The application "${clientId.slice(0, 80)}" is not registered here.`,
    )
  }
  const redirectUri =
    params.get('redirect_uri') ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined)
  if (redirectUri === undefined || !client.redirectUris.includes(redirectUri)) {
    throw new PageError('The redirect_uri is not registered for this application (it must match exactly).')
  }
  const base = { client, redirectUri, state: params.get('state') }
  const fail = (code: string, description: string) => new RedirectError(code, description, base)
  if (params.get('response_type') !== 'code')
    throw fail('unsupported_response_type', 'response_type must be "code"')
  const challenge = params.get('code_challenge')
  if (challenge === undefined)
    throw fail('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256')
  if (params.get('code_challenge_method') !== 'S256') {
    throw fail(
      'invalid_request',
      'code_challenge_method must be S256 (plain and a missing method are not accepted)',
    )
  }
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge))
    throw fail('invalid_request', 'code_challenge must be 43 base64url characters (S256)')
  const scope = params.get('scope') ?? MAIL_SCOPE
  if (scope.split(' ').some((s) => !client.scopes.includes(s))) {
    throw fail('invalid_scope', `the webmail may request only the scope "${client.scopes.join(' ')}"`)
  }
  return { ...base, codeChallenge: challenge, scope, prompt: params.get('prompt') }
}

/** Appends response parameters to the redirect_uri (keeping its own query) with RFC 9207 `iss`. */
function redirectTo(
  ctx: GatewayContext,
  res: Response,
  redirectUri: string,
  values: Record<string, string | undefined>,
) {
  const url = new URL(redirectUri)
  for (const [name, value] of Object.entries(values))
    if (value !== undefined) url.searchParams.set(name, value)
  url.searchParams.set('iss', ctx.as.issuer)
  res.set('Cache-Control', 'no-store')
  res.status(303).location(url.href).end()
}

function handleFailure(ctx: GatewayContext, res: Response, e: unknown): void {
  if (e instanceof PageError) {
    sendPage(res, 400, 'Sign-in error', errorPage('This sign-in request cannot be completed', e.message))
    return
  }
  if (e instanceof RedirectError) {
    const { redirectUri, state } = e.target
    redirectTo(ctx, res, redirectUri, { error: e.code, error_description: e.description, state })
    return
  }
  if (e instanceof OAuthError) {
    sendPage(res, 400, 'Sign-in error', errorPage('This sign-in request is malformed', e.description))
    return
  }
  if (e instanceof DatabaseUnavailableError) {
    res.set('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS))
    sendPage(
      res,
      503,
      'Sign-in unavailable',
      errorPage(
        'Sign-in is unavailable for a moment',
        `The sign-in service cannot reach its database right now. Please try again in ${DATABASE_RETRY_AFTER_SECONDS} seconds.`,
      ),
    )
    return
  }
  ctx.logger.error({ err: e }, 'authorization endpoint failed')
  sendPage(
    res,
    500,
    'Sign-in error',
    errorPage('Something went wrong', 'The sign-in service failed. Please try again later.'),
  )
}

async function issueCode(ctx: GatewayContext, res: Response, request: AuthorizationRequest, account: string) {
  const code = await createAuthCode(
    ctx.db,
    {
      clientId: request.client.clientId,
      account,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      scope: request.scope,
    },
    { now: ctx.now(), ttlSeconds: ctx.as.lifetimes.code },
  )
  redirectTo(ctx, res, request.redirectUri, { code, state: request.state })
}

function requestFields(request: AuthorizationRequest): Record<string, string> {
  const fields: Record<string, string> = {
    client_id: request.client.clientId,
    redirect_uri: request.redirectUri,
    response_type: 'code',
    code_challenge: request.codeChallenge,
    code_challenge_method: 'S256',
    scope: request.scope,
  }
  if (request.state !== undefined) fields.state = request.state
  return fields
}

function showLogin(
  ctx: GatewayContext,
  req: Request,
  res: Response,
  request: AuthorizationRequest,
  status: number,
  extra: { email?: string; error?: string } = {},
) {
  // Double-submit CSRF token: the HttpOnly cookie and the hidden field must match on submit.
  const csrf = readCookie(req, CSRF_COOKIE) ?? randomBytes(24).toString('base64url')
  setCookie(ctx, res, CSRF_COOKIE, csrf, { maxAgeSeconds: 3600, sameSite: 'strict' })
  sendPage(
    res,
    status,
    `Sign in · ${ctx.config.domain}`,
    loginPage({
      domain: ctx.config.domain,
      action: ctx.as.endpoints.authorization,
      csrf,
      request: requestFields(request),
      ...extra,
    }),
    [new URL(request.redirectUri).origin],
  )
}

/**
 * GET /authorize: validates the request; with a live session (and no `prompt=login`) answers with a code at
 * once, otherwise shows the sign-in page.
 * @see RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 9207 §2
 */
export function authorizeGet(ctx: GatewayContext) {
  return async (req: Request, res: Response) => {
    try {
      const params = readForm(req.query)
      if (params.has('request') || params.has('request_uri')) {
        throw new PageError('Request objects (request, request_uri) are not supported.')
      }
      const request = validateRequest(ctx, params)
      const sessionId = readCookie(req, SESSION_COOKIE)
      const account =
        sessionId && request.prompt !== 'login'
          ? await findAsSession(ctx.db, sessionId, ctx.now())
          : undefined
      if (account) return await issueCode(ctx, res, request, account)
      if (request.prompt === 'none') {
        return redirectTo(ctx, res, request.redirectUri, { error: 'login_required', state: request.state })
      }
      showLogin(ctx, req, res, request, 200)
    } catch (e) {
      handleFailure(ctx, res, e)
    }
  }
}

function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * POST /authorize: the sign-in form. Checks the CSRF token, the rate limits (per client IP and per account),
 * the password; starts a session and redirects to the webmail with the code.
 * @see RFC 6749 §10.12 (CSRF), RFC 9700 §4.7
 */
export function authorizePost(ctx: GatewayContext) {
  return async (req: Request, res: Response) => {
    try {
      const params = readForm(req.body)
      const request = validateRequest(ctx, params)
      if (!sameSecret(readCookie(req, CSRF_COOKIE), params.get('csrf'))) {
        return showLogin(ctx, req, res, request, 403, {
          error: 'The sign-in form expired or was not sent from this page. Please try again.',
        })
      }
      const email = (params.get('email') ?? '').trim().toLowerCase().slice(0, 320)
      const password = params.get('password') ?? ''
      const now = ctx.now()
      const waitIp = await ctx.as.limiter.consume('loginPerIp', clientAddressKey(req))
      const waitAccount = await ctx.as.limiter.check('loginPerAccount', email)
      const wait = Math.max(waitIp, waitAccount)
      if (wait > 0) {
        res.set('Retry-After', String(wait))
        return showLogin(ctx, req, res, request, 429, {
          email,
          error: `Too many sign-in attempts. Please wait ${Math.ceil(wait / 60) === 1 ? '1 minute' : `${Math.ceil(wait / 60)} minutes`} and try again.`,
        })
      }
      const inDomain = email.endsWith(`@${ctx.config.domain}`)
      const user = inDomain && password !== '' ? await verifyPassword(ctx.db, email, password) : undefined
      if (!user) {
        await ctx.as.limiter.consume('loginPerAccount', email)
        return showLogin(ctx, req, res, request, 401, {
          email,
          error: 'The email address or password is not right.',
        })
      }
      await ctx.as.limiter.reset('loginPerAccount', email)
      const sessionId = await createAsSession(ctx.db, user.email, {
        now,
        ttlSeconds: ctx.as.lifetimes.session,
      })
      setCookie(ctx, res, SESSION_COOKIE, sessionId, {
        maxAgeSeconds: ctx.as.lifetimes.session,
        sameSite: 'lax',
      })
      await issueCode(ctx, res, request, user.email)
    } catch (e) {
      handleFailure(ctx, res, e)
    }
  }
}
