import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
  KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto'
import {
  type CryptoKey,
  type JWK,
  type JWTClaimVerificationOptions,
  type JWTPayload,
  UnsecuredJWT,
} from 'jose'
import { ProtocolError } from '../errors.ts'

/**
 * Compact JWS signing and verification on node:crypto with `KeyObject`s made once per key object.
 * jose goes through WebCrypto, whose every sign, verify and import is a promise settled on the thread
 * pool; the same operation through node:crypto is synchronous and several times cheaper. jose still reads
 * the headers and checks the claims (`checkClaims`), so every check it made is still made.
 * @see RFC 7515 §5.1–5.2, RFC 7518 §3.1 (RS256, ES256), RFC 8037 §3.1 (EdDSA)
 */

type AnyKey = CryptoKey | JWK | KeyObject
/** jwt.ts's ALLOWED_ALGS (not imported: jwt.ts builds on this file). */
type AllowedAlg = 'ES256' | 'EdDSA' | 'RS256'

const publicKeys = new WeakMap<object, KeyObject>()
const privateKeys = new WeakMap<object, KeyObject>()

/** JWKs imported, by their key members: the same key parsed again from JSON (a stored row, a JWKS) is imported once. */
const byMembers = new Map<string, KeyObject>()
const BY_MEMBERS_MAX = 2000
const KEY_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e', 'd'] as const

/** The members that make the key (RFC 7517 §4, RFC 7518 §6): the same string for the same key. */
function membersOf(jwk: JWK, kind: 'public' | 'private'): string {
  const record = jwk as Record<string, unknown>
  let out = kind
  for (const m of KEY_MEMBERS) {
    // A public import ignores `d`; the key it gives does not depend on it.
    if (m === 'd' && kind === 'public') continue
    const v = record[m]
    out += `|${typeof v === 'string' ? v : ''}`
  }
  return out
}

function importJwk(jwk: JWK, kind: 'public' | 'private'): KeyObject {
  const members = membersOf(jwk, kind)
  const hit = byMembers.get(members)
  if (hit) return hit
  const out =
    kind === 'public'
      ? createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
      : createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' })
  if (byMembers.size >= BY_MEMBERS_MAX) byMembers.delete(byMembers.keys().next().value as string)
  byMembers.set(members, out)
  return out
}

function toKeyObject(key: AnyKey, kind: 'public' | 'private'): KeyObject {
  const cache = kind === 'public' ? publicKeys : privateKeys
  const hit = cache.get(key)
  if (hit) return hit
  let out: KeyObject
  try {
    if (key instanceof KeyObject) out = key
    else if ('kty' in key) out = importJwk(key as JWK, kind)
    else out = KeyObject.from(key as Parameters<typeof KeyObject.from>[0])
    if (kind === 'public' && out.type === 'private') out = createPublicKey(out)
  } catch (cause) {
    throw new ProtocolError('invalid_jwt', `the key cannot be used: ${(cause as Error).message}`, { cause })
  }
  if (out.type !== kind)
    throw new ProtocolError('invalid_jwt', `a ${kind} key is needed, not a ${out.type} key`)
  cache.set(key, out)
  return out
}

/** The key must be of the algorithm's type (no alg confusion), RSA at least 2048 bits (RFC 7518 §3.3). */
function checkKeyFor(key: KeyObject, alg: AllowedAlg): void {
  const type = key.asymmetricKeyType
  const details = key.asymmetricKeyDetails
  const ok =
    alg === 'ES256'
      ? type === 'ec' && details?.namedCurve === 'prime256v1'
      : alg === 'EdDSA'
        ? type === 'ed25519'
        : type === 'rsa' && (details?.modulusLength ?? 0) >= 2048
  if (!ok) throw new ProtocolError('invalid_jwt', `the key (${String(type)}) is not a key for ${alg}`)
}

const b64json = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

function signatureOf(alg: AllowedAlg, input: Buffer, key: KeyObject): Buffer {
  if (alg === 'EdDSA') return nodeSign(null, input, key)
  if (alg === 'ES256') return nodeSign('sha256', input, { key, dsaEncoding: 'ieee-p1363' })
  return nodeSign('sha256', input, key)
}

/** Signs a compact JWS (JSON payload) with `header.alg`. */
export function signCompact(
  header: Record<string, unknown> & { alg: AllowedAlg },
  payload: JWTPayload,
  key: AnyKey,
): string {
  const privateKey = toKeyObject(key, 'private')
  checkKeyFor(privateKey, header.alg)
  const input = `${b64json(header)}.${b64json(payload)}`
  return `${input}.${signatureOf(header.alg, Buffer.from(input), privateKey).toString('base64url')}`
}

/**
 * Checks the signature of a compact JWS whose header the caller has already read and checked (alg on
 * the allow-list, no `crit`). Throws `invalid_signature` when it does not verify.
 */
export function verifyCompactSignature(jws: string, alg: AllowedAlg, key: AnyKey): void {
  const publicKey = toKeyObject(key, 'public')
  checkKeyFor(publicKey, alg)
  const dot = jws.lastIndexOf('.')
  const input = Buffer.from(jws.slice(0, dot))
  const signature = Buffer.from(jws.slice(dot + 1), 'base64url')
  const ok =
    alg === 'EdDSA'
      ? nodeVerify(null, input, publicKey, signature)
      : alg === 'ES256'
        ? signature.length === 64 &&
          nodeVerify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)
        : nodeVerify('sha256', input, publicKey, signature)
  if (!ok) throw new ProtocolError('invalid_signature', 'the JWS signature does not verify')
}

const NONE_HEADER = b64json({ alg: 'none' })

/**
 * jose's own claim checks (iss, aud, exp, nbf, iat, required claims, a JSON object payload) on the payload
 * of a JWS whose signature was checked: the payload segment is handed to jose as an unsecured JWT, so the
 * rules and errors are jose's (JWTExpired, JWTClaimValidationFailed, JWTInvalid).
 */
export function checkClaims(jws: string, options: JWTClaimVerificationOptions): JWTPayload {
  const payload = jws.slice(jws.indexOf('.') + 1, jws.lastIndexOf('.'))
  return UnsecuredJWT.decode(`${NONE_HEADER}.${payload}.`, options).payload
}

/** RFC 7638 members per key type, in the lexicographic order the thumbprint hashes them. */
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
  oct: ['k', 'kty'],
}

/** RFC 7638 §3 JWK thumbprint (SHA-256, base64url), synchronously. */
export function thumbprintSync(jwk: JWK): string {
  const members = THUMBPRINT_MEMBERS[String(jwk.kty)]
  if (members === undefined) throw new Error(`"kty" (Key Type) Parameter missing or unsupported`)
  const canonical: Record<string, string> = {}
  for (const m of members) {
    const v = (jwk as Record<string, unknown>)[m]
    if (typeof v !== 'string' || v === '') throw new Error(`"${m}" (JWK member) missing or invalid`)
    canonical[m] = v
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url')
}
