import { findJwk, type KeyResolver, ProtocolError } from '@federizer/protocol'
import { type CryptoKey, importJWK, type JWK } from 'jose'

/**
 * The one caching KeyResolver: over a JWKS that may change (the AS's own keys after a rotation), each
 * key is imported once (importing a JWK costs about as much as verifying a signature). The key is looked
 * up in the current JWKS on every call, so only keys still published resolve; `onMiss` may refresh the
 * source once (a key rotated in since start-up) and returns true if it did.
 * @see RFC 7517 §4.5 (kid), RFC 7515 §4.1.4
 */
export function cachingKeyResolver(
  jwks: () => { keys: JWK[] },
  onMiss?: () => Promise<boolean>,
): KeyResolver {
  const imported = new Map<string, Promise<CryptoKey>>()
  return async (header) => {
    let jwk = findJwk(jwks(), header.kid, header.alg)
    if (!jwk && onMiss && (await onMiss())) jwk = findJwk(jwks(), header.kid, header.alg)
    if (!jwk)
      throw new ProtocolError('unknown_key', `no key with kid "${header.kid}" for ${header.alg} in the JWKS`)
    const id = `${header.alg}:${header.kid}`
    let key = imported.get(id)
    if (!key) {
      key = importJWK(jwk, header.alg) as Promise<CryptoKey>
      imported.set(id, key)
      key.catch(() => imported.delete(id))
    }
    return key
  }
}
