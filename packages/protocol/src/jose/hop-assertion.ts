import { z } from 'zod'
import { ProtocolError } from '../errors.ts'
import {
  claimStringSchema,
  cnfJktSchema,
  digestStringSchema,
  numericDateSchema,
  parseClaims,
} from './claims.ts'
import { type KeyResolver, type SigningKey, signJwt, type VerifiedJwt, verifyJwt } from './jwt.ts'

/** The `typ` of a hop assertion: distinct from every other token kind (RFC 8725 §3.11). */
export const HOP_ASSERTION_TYP = 'fz-hop+jwt'

/** The only scope a hop assertion or fetch token carries. */
export const INTERNET_MAIL_SCOPE = 'internet_mail'

/** The `eh` claim: Envelope Headers Thumbprint and the ordered list of the names it covers. */
export const ehClaimSchema = z.object({
  eht: digestStringSchema,
  ehl: z.array(z.string().min(1).max(128)).min(1).max(64),
})

/** Claims of a hop assertion, as docs/protocol.md §4 fixes them. */
export const hopAssertionClaimsSchema = z.object({
  iss: claimStringSchema,
  sub: claimStringSchema,
  azp: claimStringSchema,
  scope: z.literal(INTERNET_MAIL_SCOPE),
  cnf: cnfJktSchema,
  eh: ehClaimSchema,
  iat: numericDateSchema,
  exp: numericDateSchema,
  jti: claimStringSchema,
})
export type HopAssertionClaims = z.infer<typeof hopAssertionClaimsSchema>

export type HopAssertionInput = Omit<HopAssertionClaims, 'scope'>

/**
 * Signs a hop assertion (the AS-signed JWT that replaces DKIM); adds `scope: internet_mail`.
 * @see RFC 7519 §7.1, RFC 8693 §2.2 (issued token), RFC 9449 §6.1 (cnf.jkt)
 */
export async function signHopAssertion(claims: HopAssertionInput, key: SigningKey): Promise<string> {
  const full = parseClaims(
    hopAssertionClaimsSchema,
    { ...claims, scope: INTERNET_MAIL_SCOPE },
    'hop assertion',
  )
  if (full.exp <= full.iat) throw new ProtocolError('invalid_jwt', 'hop assertion: exp must be after iat')
  return signJwt(full, key, HOP_ASSERTION_TYP)
}

export interface VerifyHopAssertionOptions {
  resolveKey: KeyResolver
  /** Seconds since the epoch. */
  now: number
  /** false when re-verifying a historic hop: signature and iat are checked, exp is not. */
  checkExpiry?: boolean
  /** The exact issuer expected (the AS discovered for the hop sender's domain). */
  issuer?: string
  clockTolerance?: number
}

/**
 * Verifies a hop assertion: typ `fz-hop+jwt`, allow-listed alg, kid, signature, iss, exp (unless
 * `checkExpiry: false`), iat not in the future, and every claim of the design.
 * @see RFC 7519 §7.2, RFC 8725 §3
 */
export async function verifyHopAssertion(
  jws: string,
  options: VerifyHopAssertionOptions,
): Promise<{ header: VerifiedJwt['header']; claims: HopAssertionClaims }> {
  const { header, payload } = await verifyJwt(jws, {
    typ: HOP_ASSERTION_TYP,
    resolveKey: options.resolveKey,
    now: options.now,
    issuer: options.issuer,
    checkExpiry: options.checkExpiry,
    clockTolerance: options.clockTolerance,
    requiredClaims: ['iss', 'sub', 'azp', 'iat', 'exp', 'jti'],
  })
  return { header, claims: parseClaims(hopAssertionClaimsSchema, payload, 'hop assertion') }
}
