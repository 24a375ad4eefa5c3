import { findJwk, type KeyResolver, ProtocolError } from '@federizer/protocol'
import { type CryptoKey, importJWK, type JWK } from 'jose'

/**
 * A KeyResolver over a JWKS that may change (the AS's own keys after a rotation), importing each key once:
 * importing a JWK costs about as much as verifying a signature, so verifiers keep the CryptoKey.
 * `onMiss` may refresh the source once (a key rotated in since start-up); it returns true if it did.
 */
export function cachingKeyResolver(
  jwks: () => { keys: JWK[] },
  onMiss?: () => Promise<boolean>,
): KeyResolver {
  const imported = new Map<string, CryptoKey>()
  return async (header) => {
    const id = `${header.alg}:${header.kid}`
    const hit = imported.get(id)
    if (hit) return hit
    let jwk = findJwk(jwks(), header.kid, header.alg)
    if (!jwk && onMiss && (await onMiss())) jwk = findJwk(jwks(), header.kid, header.alg)
    if (!jwk)
      throw new ProtocolError('unknown_key', `no key with kid "${header.kid}" for ${header.alg} in the JWKS`)
    const key = (await importJWK(jwk, header.alg)) as CryptoKey
    imported.set(id, key)
    return key
  }
}
