import { isProtocolError } from '@federizer/protocol'
import { DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailableError } from '@federizer/store'
import type { Response } from 'express'

/** Error codes of RFC 6749 §5.2 (and `temporarily_unavailable`, §4.1.2.1), RFC 8693 §2.2.2, RFC 9449 §5/§8, RFC 7009 §2.2.1 and RFC 6585 (429). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'unsupported_token_type'
  | 'access_denied'
  | 'slow_down'
  | 'server_error'
  | 'temporarily_unavailable'

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  invalid_dpop_proof: 400,
  use_dpop_nonce: 400,
  unsupported_token_type: 400,
  access_denied: 403,
  slow_down: 429,
  server_error: 500,
  temporarily_unavailable: 503,
}

/** An OAuth error answered as `{ error, error_description }` (RFC 6749 §5.2) with the RFC's status. */
export class OAuthError extends Error {
  override readonly name = 'OAuthError'
  readonly status: number
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly options: { status?: number; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(description, { cause: options.cause })
    this.status = options.status ?? STATUS[code]
  }
}

/** Answers an OAuth error; never a stack trace, always `Cache-Control: no-store` (RFC 6749 §5.1). */
export function sendOAuthError(res: Response, error: OAuthError): void {
  res.status(error.status)
  res.set('Cache-Control', 'no-store')
  res.set('Pragma', 'no-cache')
  for (const [name, value] of Object.entries(error.options.headers ?? {})) res.set(name, value)
  res.json({ error: error.code, error_description: error.description })
}

/**
 * Maps a failure from the protocol library (token or proof verification) onto the OAuth error the
 * endpoint answers with. `as` names the input being checked ("subject_token", "DPoP proof", …).
 */
export function toOAuthError(e: unknown, as: 'subject_token' | 'dpop' | 'client_assertion'): OAuthError {
  if (e instanceof OAuthError) return e
  if (e instanceof DatabaseUnavailableError) return databaseUnavailable(e)
  if (isProtocolError(e)) {
    if (as === 'dpop') {
      if (e.code === 'use_dpop_nonce') return new OAuthError('use_dpop_nonce', e.message)
      return new OAuthError('invalid_dpop_proof', e.message, { cause: e })
    }
    if (as === 'client_assertion')
      return new OAuthError('invalid_client', `client_assertion: ${e.message}`, { cause: e })
    if (e.code === 'discovery_failed' || e.code === 'private_address') {
      return new OAuthError('invalid_grant', `subject_token: cannot verify its issuer: ${e.message}`, {
        cause: e,
      })
    }
    return new OAuthError('invalid_grant', `subject_token: ${e.message}`, { cause: e })
  }
  return new OAuthError('server_error', 'the authorization server failed; the error was logged', { cause: e })
}

/**
 * The AS's database cannot be reached now (issue 13: PostgreSQL stopped or restarting): nothing was
 * issued or recorded, so 503 with Retry-After; the MTA and the webmail retry, a sign-in is tried again.
 * @see RFC 6749 §4.1.2.1 (temporarily_unavailable), RFC 9110 §15.6.4
 */
export function databaseUnavailable(cause: DatabaseUnavailableError): OAuthError {
  return new OAuthError(
    'temporarily_unavailable',
    `the authorization server's database is unavailable right now; nothing was issued: retry in ${DATABASE_RETRY_AFTER_SECONDS} seconds`,
    { headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) }, cause },
  )
}
