import { type AccessTokenClaims, isProtocolError } from '@federizer/protocol'
import { findUser, isJwtRevoked } from '@federizer/store'
import type { ApiContext } from './context.ts'

/** The signed-in user of a request. */
export interface AuthUser {
  /** Lower-cased address: the key of every mailbox row. */
  account: string
  email: string
  claims: AccessTokenClaims
  /** The raw access token: the subject token of the send-time token exchange. */
  accessToken: string
}

/** Why a request is not authenticated; `message` is safe to show. */
export class AuthError extends Error {
  override readonly name = 'AuthError'
  constructor(
    message: string,
    options?: { cause?: unknown },
    readonly code: 'unauthorized' | 'insufficient_scope' = 'unauthorized',
  ) {
    super(message, options)
  }
}

/** The scope the domain's AS grants the webmail for the mailbox api. */
const MAIL_SCOPE = 'mail'

/** Extracts the token of an `Authorization: Bearer …` header (RFC 6750 §2.1). */
function bearerToken(header: string | undefined): string | undefined {
  const m = header ? /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(header) : null
  return m?.[1]
}

/**
 * Verifies a webmail access token locally against the domain AS's published keys: typ at+jwt, iss =
 * gatewayUrl, aud = apiUrl, exp, signature (re-reading the key file once on an unknown kid).
 * @see RFC 9068 §4, RFC 6750 §3.1
 */
export async function authenticate(ctx: ApiContext, header: string | undefined): Promise<AuthUser> {
  const token = bearerToken(header)
  if (!token) throw new AuthError('sign in first: send Authorization: Bearer <access token>')
  try {
    // The domain's one key resolver (each key imported once, the key file re-read once on an unknown
    // kid), behind the tokens this api verified already (verified-tokens.ts).
    const result = await ctx.tokens.verify(token, {
      now: ctx.now(),
      issuer: ctx.config.gatewayUrl,
      audience: ctx.config.apiUrl,
    })
    if (!result.claims.scope.split(' ').includes(MAIL_SCOPE)) {
      throw new AuthError(`the access token lacks the "${MAIL_SCOPE}" scope`, undefined, 'insufficient_scope')
    }
    const email = result.claims.email.toLowerCase()
    // The AS signs sub = email = the account; a token whose two disagree names no one account.
    if (result.claims.sub.toLowerCase() !== email)
      throw new AuthError('invalid access token (its subject is not its email address)')
    // A revoked token (RFC 7009, or a replayed authorization code), a disabled account and an account
    // that does not exist (deleted, or never created) stop at once, not when the token expires; nothing
    // is created for an unknown account (issue 12 item 11).
    if (await isJwtRevoked(ctx.db, result.claims.jti))
      throw new AuthError('the access token was revoked: sign in again')
    const user = await findUser(ctx.db, email)
    if (!user)
      throw new AuthError(`there is no account ${email} on this domain: sign in with another account`)
    if (user.disabled) throw new AuthError('this account is disabled')
    return { account: email, email, claims: result.claims, accessToken: token }
  } catch (e) {
    if (isProtocolError(e)) {
      const why =
        e.code === 'expired' ? 'the access token has expired: refresh it' : `invalid access token (${e.code})`
      throw new AuthError(why, { cause: e })
    }
    throw e
  }
}
