import type { JWK } from 'jose'
import { ProtocolError } from '../errors.ts'
import { ALLOWED_ALGS, type AllowedAlg, type KeyResolver, type SigningKey } from './jwt.ts'
import { generatePrivateJwk } from './keygen.ts'
import { thumbprintSync } from './node-jws.ts'

/** A freshly generated key pair: usable directly as a `SigningKey` (privateKey = privateJwk). */
export interface GeneratedSigningKey extends SigningKey {
  kid: string
  alg: AllowedAlg
  privateKey: JWK
  /** The private JWK (with `kid`, `alg`). Keep it secret: never log it. */
  privateJwk: JWK
  /** The public JWK as published in a JWKS: `kid`, `alg`, `use: 'sig'`. */
  publicJwk: JWK
}

/** JWK members that hold private key material (RFC 7517 §9.3, RFC 7518 §6, RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/** Public members kept for each key type (RFC 7638 §3.2 required members plus metadata). */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
}

/**
 * Computes the RFC 7638 JWK thumbprint (SHA-256, base64url) of a public or private JWK.
 * @see RFC 7638 §3
 */
export async function jwkThumbprint(jwk: JWK): Promise<string> {
  try {
    return thumbprintSync(jwk)
  } catch (cause) {
    throw new ProtocolError('invalid_jwt', `cannot compute the JWK thumbprint: ${(cause as Error).message}`, {
      cause,
    })
  }
}

/** True when the JWK carries any private key member. @see RFC 9449 §4.3 (check 7) */
export function hasPrivateMembers(jwk: JWK): boolean {
  return PRIVATE_MEMBERS.some((m) => (jwk as Record<string, unknown>)[m] !== undefined)
}

/** The public part of a JWK: only the key-type members, plus `kid`, `alg` and `use` when present. */
export function toPublicJwk(jwk: JWK): JWK {
  const members = PUBLIC_MEMBERS[String(jwk.kty)]
  if (members === undefined) {
    throw new ProtocolError(
      'invalid_jwt',
      `unsupported JWK key type "${String(jwk.kty)}" (EC, OKP and RSA only)`,
    )
  }
  const out: Record<string, unknown> = {}
  for (const m of [...members, 'kid', 'alg', 'use']) {
    const v = (jwk as Record<string, unknown>)[m]
    if (v !== undefined) out[m] = v
  }
  return out as JWK
}

/** The JWS alg that goes with a JWK: its `alg` member, else inferred from kty / crv. */
export function algForJwk(jwk: JWK): AllowedAlg {
  if (typeof jwk.alg === 'string') {
    if (!ALLOWED_ALGS.includes(jwk.alg as AllowedAlg)) {
      throw new ProtocolError(
        'alg_not_allowed',
        `JWK alg "${jwk.alg}" is not allowed (ES256, EdDSA, RS256 only)`,
      )
    }
    return jwk.alg as AllowedAlg
  }
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256'
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA'
  if (jwk.kty === 'RSA') return 'RS256'
  throw new ProtocolError(
    'alg_not_allowed',
    `no allowed alg for a ${String(jwk.kty)} ${String(jwk.crv ?? '')} key`,
  )
}

/**
 * Generates a signing key pair for `alg` (ES256 default; EdDSA = Ed25519; RS256 = 2048-bit RSA).
 * `kid` is the RFC 7638 thumbprint of the public key.
 * @see RFC 7638 §3, RFC 7517 §4.5
 */
export async function generateSigningKey(alg: AllowedAlg = 'ES256'): Promise<GeneratedSigningKey> {
  if (!ALLOWED_ALGS.includes(alg)) {
    throw new ProtocolError(
      'alg_not_allowed',
      `JWS alg "${String(alg)}" is not allowed (ES256, EdDSA, RS256 only)`,
    )
  }
  const exported = generatePrivateJwk(alg)
  const kid = await jwkThumbprint(exported)
  const privateJwk: JWK = { ...exported, kid, alg }
  const publicJwk: JWK = { ...toPublicJwk(exported), kid, alg, use: 'sig' }
  return { kid, alg, privateKey: privateJwk, privateJwk, publicJwk }
}

/** Turns a private JWK (as stored on disk) into a SigningKey; `kid` defaults to the thumbprint. */
export async function signingKeyFromJwk(privateJwk: JWK): Promise<SigningKey> {
  if (!hasPrivateMembers(privateJwk))
    throw new ProtocolError('invalid_jwt', 'a signing key needs a private JWK')
  const alg = algForJwk(privateJwk)
  const kid = typeof privateJwk.kid === 'string' ? privateJwk.kid : await jwkThumbprint(privateJwk)
  return { kid, alg, privateKey: privateJwk }
}

/**
 * A KeyResolver over a fixed JWKS (RFC 7517 §5): finds the key by `kid`, requires it to be a public
 * signature key whose `alg` (when present) equals the header's. Throws `unknown_key` otherwise.
 */
export function keyResolverFromJwks(jwks: { keys: JWK[] }): KeyResolver {
  return async (header) => {
    const key = findJwk(jwks, header.kid, header.alg)
    if (key === undefined) {
      throw new ProtocolError(
        'unknown_key',
        `no key with kid "${header.kid}" for ${header.alg} in the issuer's JWKS`,
      )
    }
    return key
  }
}

/** Looks up a usable public key by kid and alg in a JWKS, or undefined. */
export function findJwk(jwks: { keys: JWK[] }, kid: string, alg: AllowedAlg): JWK | undefined {
  const key = jwks.keys.find((k) => k.kid === kid)
  if (key === undefined) return undefined
  if (key.use !== undefined && key.use !== 'sig') return undefined
  if (key.alg !== undefined && key.alg !== alg) return undefined
  if (hasPrivateMembers(key)) return toPublicJwk(key)
  return key
}
