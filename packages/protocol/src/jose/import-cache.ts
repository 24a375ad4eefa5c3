import { type CryptoKey, importJWK, type JWK } from 'jose'

/**
 * importJWK is as costly as a signature check (it builds a WebCrypto key each time). Keys held in memory
 * (an AS's signing key, a JWKS cached by discovery) are the same objects request after request, so their
 * imported form is remembered per object and algorithm; a JWK built afresh is simply imported.
 */
const cache = new WeakMap<object, Map<string, Promise<CryptoKey>>>()

export function importJwkCached(jwk: JWK, alg: string): Promise<CryptoKey> {
  let byAlg = cache.get(jwk)
  if (!byAlg) {
    byAlg = new Map()
    cache.set(jwk, byAlg)
  }
  let key = byAlg.get(alg)
  if (!key) {
    key = importJWK(jwk, alg) as Promise<CryptoKey>
    byAlg.set(alg, key)
    key.catch(() => byAlg.delete(alg))
  }
  return key
}
