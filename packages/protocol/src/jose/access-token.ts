import { z } from 'zod'
import { ProtocolError } from '../errors.ts'
import { claimStringSchema, numericDateSchema, parseClaims } from './claims.ts'
import { type KeyResolver, type SigningKey, signJwt, type VerifiedJwt, verifyJwt } from './jwt.ts'

/** RFC 9068 §2.1: JWT access tokens are typed `at+jwt`. */
export const ACCESS_TOKEN_TYP = 'at+jwt'

/** Claims of the webmail access token. @see RFC 9068 §2.2 */
export const accessTokenClaimsSchema = z.object({
  iss: claimStringSchema,
  sub: claimStringSchema,
  email: z.string().min(3).max(320).includes('@'),
  aud: z.union([claimStringSchema, z.array(claimStringSchema).min(1)]),
  client_id: claimStringSchema,
  scope: z.string().max(2048),
  iat: numericDateSchema,
  exp: numericDateSchema,
  jti: claimStringSchema,
})
export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>

/** Signs a webmail access token (RFC 9068 profile). @see RFC 9068 §2 */
export async function signAccessToken(claims: AccessTokenClaims, key: SigningKey): Promise<string> {
  const full = parseClaims(accessTokenClaimsSchema, claims, 'access token')
  if (full.exp <= full.iat) throw new ProtocolError('invalid_jwt', 'access token: exp must be after iat')
  return signJwt(full, key, ACCESS_TOKEN_TYP)
}

export interface VerifyAccessTokenOptions {
  resolveKey: KeyResolver
  now: number
  issuer: string
  audience: string | string[]
  clockTolerance?: number
}

/**
 * Validates a JWT access token: typ `at+jwt`, issuer exact, audience, signature, exp and iat.
 * @see RFC 9068 §4
 */
export async function verifyAccessToken(
  jws: string,
  options: VerifyAccessTokenOptions,
): Promise<{ header: VerifiedJwt['header']; claims: AccessTokenClaims }> {
  const { header, payload } = await verifyJwt(jws, {
    typ: ACCESS_TOKEN_TYP,
    resolveKey: options.resolveKey,
    now: options.now,
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockTolerance,
    requiredClaims: ['iss', 'sub', 'aud', 'iat', 'exp', 'jti', 'client_id'],
  })
  return { header, claims: parseClaims(accessTokenClaimsSchema, payload, 'access token') }
}
