import type { KeyObject } from 'node:crypto'
import {
  type CryptoKey,
  decodeProtectedHeader,
  type JWK,
  type JWSHeaderParameters,
  type JWTPayload,
  errors as joseErrors,
} from 'jose'
import { ProtocolError } from '../errors.ts'
import { checkClaims, signCompact, verifyCompactSignature } from './node-jws.ts'

/** The only JWS algorithms Federizer accepts anywhere (RFC 8725 §3.1: an explicit allow-list). */
export const ALLOWED_ALGS = ['ES256', 'EdDSA', 'RS256'] as const
export type AllowedAlg = (typeof ALLOWED_ALGS)[number]

/** A private signing key as held by an AS or an MTA. `kid` is the RFC 7638 thumbprint of the public key. */
export interface SigningKey {
  kid: string
  alg: AllowedAlg
  privateKey: CryptoKey | JWK | KeyObject
}

/**
 * A key with the window in which it signs (seconds since the epoch; no `signsUntil` while active): a
 * token verified with it must have an `iat` inside, ± the clock tolerance (`key_not_valid` otherwise).
 * A class, so that a JWK a peer publishes can never pass for one, whatever members it carries.
 */
export class WindowedKey {
  constructor(
    readonly key: CryptoKey | JWK | KeyObject,
    readonly signsFrom: number,
    readonly signsUntil?: number,
  ) {}
}

/** Resolves the public key for a JWS header; throws ProtocolError('unknown_key') when there is none. */
export type KeyResolver = (
  header: JWSHeaderParameters & { alg: AllowedAlg; kid: string },
) => Promise<CryptoKey | JWK | KeyObject | WindowedKey>

/**
 * Signs `payload` as a compact JWS with an explicit `typ` and the key's `kid` (RFC 8725 §3.11), on
 * node:crypto with the key object made once (node-jws.ts).
 */
export async function signJwt(
  payload: JWTPayload,
  key: SigningKey,
  typ: string,
  extraHeader: Partial<JWSHeaderParameters> = {},
): Promise<string> {
  try {
    return signCompact({ ...extraHeader, alg: key.alg, typ, kid: key.kid }, payload, key.privateKey)
  } catch (e) {
    throw translateJoseError(e)
  }
}

export interface VerifyJwtOptions {
  /** The expected `typ` (compared case-insensitively, `application/` prefix allowed per RFC 7515 §4.1.9). */
  typ: string | string[]
  /** Accept a JWS without `typ` too (RFC 7523 client assertions predate explicit typing). */
  allowAbsentTyp?: boolean
  resolveKey: KeyResolver
  /** Seconds since the epoch. */
  now: number
  issuer?: string
  audience?: string | string[]
  /** Seconds of clock skew tolerated on exp/iat/nbf (default 60). */
  clockTolerance?: number
  /** Set to false to check the signature but not `exp` (re-verifying an old chain). */
  checkExpiry?: boolean
  requiredClaims?: string[]
}

export interface VerifiedJwt {
  header: JWSHeaderParameters & { alg: AllowedAlg; kid: string }
  payload: JWTPayload
}

const normalizeTyp = (t: string) => t.toLowerCase().replace(/^application\//, '')

/** Reads the protected header of a compact JWS and enforces alg allow-list, `kid` and `typ`. */
export function readProtectedHeader(
  jws: string,
  typ: string | string[] | null,
  allowAbsentTyp = false,
): VerifiedJwt['header'] {
  if (typeof jws !== 'string' || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(jws)) {
    throw new ProtocolError('invalid_jwt', 'the token is not a compact JWS (three base64url segments)')
  }
  let header: JWSHeaderParameters
  try {
    header = decodeProtectedHeader(jws) as JWSHeaderParameters
  } catch (cause) {
    throw new ProtocolError('invalid_jwt', 'the JWS protected header is not valid base64url JSON', { cause })
  }
  if (!ALLOWED_ALGS.includes(header.alg as AllowedAlg)) {
    throw new ProtocolError(
      'alg_not_allowed',
      `JWS alg "${String(header.alg)}" is not allowed (ES256, EdDSA, RS256 only)`,
    )
  }
  if (header.crit !== undefined)
    throw new ProtocolError('invalid_jwt', 'JWS "crit" header parameters are not supported')
  if (typ !== null && !(allowAbsentTyp && header.typ === undefined)) {
    const expected = (Array.isArray(typ) ? typ : [typ]).map(normalizeTyp)
    const actual = typeof header.typ === 'string' ? normalizeTyp(header.typ) : undefined
    if (actual === undefined || !expected.includes(actual)) {
      throw new ProtocolError(
        'wrong_typ',
        `JWS typ "${String(header.typ)}" is not the expected "${expected.join('" or "')}"`,
      )
    }
  }
  return header as VerifiedJwt['header']
}

/**
 * Verifies a compact JWS: allow-listed alg, `kid` (unless the key is embedded, as in DPoP), explicit typ,
 * signature through `resolveKey`, then iss / aud / exp / nbf / iat with `clockTolerance`.
 * @see RFC 8725 §3 (JWT BCP)
 */
export async function verifyJwt(jws: string, options: VerifyJwtOptions): Promise<VerifiedJwt> {
  const header = readProtectedHeader(jws, options.typ, options.allowAbsentTyp)
  if (typeof header.kid !== 'string' || header.kid === '') {
    throw new ProtocolError(
      'missing_kid',
      'the JWS header has no "kid": keys are resolved only through the issuer JWKS',
    )
  }
  let resolved: Awaited<ReturnType<KeyResolver>>
  try {
    resolved = await options.resolveKey(header)
  } catch (e) {
    if (e instanceof ProtocolError) throw e
    throw new ProtocolError('unknown_key', `cannot resolve key "${header.kid}": ${(e as Error).message}`, {
      cause: e,
    })
  }
  const tolerance = options.clockTolerance ?? 60
  const windowed = resolved instanceof WindowedKey ? resolved : undefined
  try {
    verifyCompactSignature(
      jws,
      header.alg,
      windowed ? windowed.key : (resolved as CryptoKey | JWK | KeyObject),
    )
    const payload = checkClaims(jws, {
      currentDate: new Date((options.checkExpiry === false ? 0 : options.now) * 1000),
      clockTolerance: options.checkExpiry === false ? Number.MAX_SAFE_INTEGER : tolerance,
      ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
      ...(options.audience !== undefined ? { audience: options.audience } : {}),
      ...(options.requiredClaims !== undefined ? { requiredClaims: options.requiredClaims } : {}),
    })
    if (typeof payload.iat === 'number' && payload.iat > options.now + tolerance) {
      throw new ProtocolError('not_yet_valid', `the token was issued in the future (iat ${payload.iat})`)
    }
    if (windowed) checkSigningWindow(header.kid, windowed, payload.iat, tolerance)
    return { header, payload }
  } catch (e) {
    throw translateJoseError(e)
  }
}

/**
 * Refuses a token whose `iat` falls outside the signing window of the key that verified it: whoever
 * holds a retired private key cannot date a token after the retirement (RFC 7519 §4.1.6).
 */
function checkSigningWindow(kid: string, key: WindowedKey, iat: unknown, tolerance: number): void {
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    throw new ProtocolError('key_not_valid', `a token signed with key "${kid}" must carry a numeric iat`)
  if (iat < key.signsFrom - tolerance) {
    throw new ProtocolError(
      'key_not_valid',
      `key "${kid}" did not sign yet at iat ${iat} (it signs from ${key.signsFrom})`,
    )
  }
  if (key.signsUntil !== undefined && iat > key.signsUntil + tolerance) {
    throw new ProtocolError(
      'key_not_valid',
      `key "${kid}" was retired at ${key.signsUntil} and signs nothing dated later (iat ${iat})`,
    )
  }
}

/** Maps jose's errors onto stable ProtocolError codes. */
export function translateJoseError(e: unknown): ProtocolError {
  if (e instanceof ProtocolError) return e
  if (e instanceof joseErrors.JWTExpired)
    return new ProtocolError('expired', `the token has expired (${e.message})`, { cause: e })
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new ProtocolError('invalid_signature', 'the JWS signature does not verify', { cause: e })
  }
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'iss')
      return new ProtocolError('wrong_issuer', `unexpected issuer: ${e.message}`, { cause: e })
    if (e.claim === 'aud')
      return new ProtocolError('wrong_audience', `unexpected audience: ${e.message}`, { cause: e })
    if (e.claim === 'nbf' || e.claim === 'iat') {
      return new ProtocolError('not_yet_valid', `the token is not yet valid: ${e.message}`, { cause: e })
    }
    return new ProtocolError('invalid_jwt', `claim "${e.claim}" is invalid: ${e.message}`, { cause: e })
  }
  if (e instanceof joseErrors.JOSEError) return new ProtocolError('invalid_jwt', e.message, { cause: e })
  return new ProtocolError('invalid_jwt', e instanceof Error ? e.message : String(e), { cause: e })
}
