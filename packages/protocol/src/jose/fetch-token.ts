import { z } from 'zod'
import { ProtocolError } from '../errors.ts'
import { claimStringSchema, cnfJktSchema, numericDateSchema, parseClaims } from './claims.ts'
import { INTERNET_MAIL_SCOPE } from './hop-assertion.ts'
import { type KeyResolver, type SigningKey, signJwt, type VerifiedJwt, verifyJwt } from './jwt.ts'

/** The `typ` of a fetch access token, so it can never pass as a hop assertion or webmail token. */
export const FETCH_TOKEN_TYP = 'fz-fetch+jwt'

/** A fetch token lives at most one hour (docs/protocol.md §4). */
export const FETCH_TOKEN_MAX_LIFETIME_SECONDS = 3600

export const fetchTokenClaimsSchema = z.object({
  iss: claimStringSchema,
  azp: claimStringSchema,
  aud: claimStringSchema,
  scope: z.literal(INTERNET_MAIL_SCOPE),
  message_id: claimStringSchema,
  cnf: cnfJktSchema,
  iat: numericDateSchema,
  exp: numericDateSchema,
  jti: claimStringSchema,
})
export type FetchTokenClaims = z.infer<typeof fetchTokenClaimsSchema>
export type FetchTokenInput = Omit<FetchTokenClaims, 'scope'>

function checkLifetime(claims: FetchTokenClaims): void {
  if (claims.exp <= claims.iat) throw new ProtocolError('invalid_jwt', 'fetch token: exp must be after iat')
  if (claims.exp - claims.iat > FETCH_TOKEN_MAX_LIFETIME_SECONDS) {
    throw new ProtocolError('invalid_jwt', 'fetch token: lifetime exceeds one hour (exp - iat > 3600)')
  }
}

/**
 * Signs a DPoP-bound fetch access token (issued by the fetcher's own AS, `aud` = origin gateway URL).
 * @see RFC 8693 §2.2, RFC 9449 §6.1
 */
export async function signFetchToken(claims: FetchTokenInput, key: SigningKey): Promise<string> {
  const full = parseClaims(fetchTokenClaimsSchema, { ...claims, scope: INTERNET_MAIL_SCOPE }, 'fetch token')
  checkLifetime(full)
  return signJwt(full, key, FETCH_TOKEN_TYP)
}

export interface VerifyFetchTokenOptions {
  resolveKey: KeyResolver
  now: number
  /** The exact issuer expected (the fetching domain's discovered AS), when already known. */
  issuer?: string
  /** The origin gateway URL (this mailbox's resource URL). */
  audience: string
  clockTolerance?: number
}

/**
 * Verifies a fetch token: typ `fz-fetch+jwt`, aud, iss, signature, exp, iat, lifetime ≤ 1 h.
 * @see RFC 7519 §7.2, RFC 9068 §4 (same validation steps)
 */
export async function verifyFetchToken(
  jws: string,
  options: VerifyFetchTokenOptions,
): Promise<{ header: VerifiedJwt['header']; claims: FetchTokenClaims }> {
  const { header, payload } = await verifyJwt(jws, {
    typ: FETCH_TOKEN_TYP,
    resolveKey: options.resolveKey,
    now: options.now,
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockTolerance,
    requiredClaims: ['iss', 'azp', 'aud', 'iat', 'exp', 'jti', 'message_id'],
  })
  const claims = parseClaims(fetchTokenClaimsSchema, payload, 'fetch token')
  checkLifetime(claims)
  return { header, claims }
}
