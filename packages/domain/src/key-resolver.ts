import { findJwk, type KeyResolver, ProtocolError, WindowedKey } from '@federizer/protocol'
import { type CryptoKey, importJWK, type JWK } from 'jose'

/** When a key signs: from `from` until `until` (seconds since the epoch; no `until` while it is active). */
export interface SigningWindow {
  from: number
  until?: number
}

export interface KeySource {
  /** The keys published now. */
  jwks: () => { keys: JWK[] }
  /**
   * Re-reads the keys if they changed (the source throttles it); called before every lookup, so a key
   * rotated in resolves and a key removed stops resolving without a restart.
   */
  refresh?: () => Promise<boolean>
  /** The window in which a key signs (the domain's rotation records); undefined: no window is known. */
  signingWindow?: (kid: string) => SigningWindow | undefined
}

/**
 * The one caching KeyResolver: over a JWKS that may change (the AS's own keys after a rotation), each
 * key is imported once (importing a JWK costs about as much as verifying a signature). The key is looked
 * up in the current keys on every call, so only keys still published resolve; when the source knows a
 * key's signing window, the key is handed out with it and verifyJwt accepts a token only if its `iat`
 * falls inside (± its clock tolerance): a retired key cannot sign a token dated after its retirement,
 * nor an announced key one dated before.
 * @see RFC 7517 §4.5 (kid), RFC 7515 §4.1.4, RFC 7519 §4.1.6 (iat), docs/protocol.md §4
 */
export function cachingKeyResolver(source: KeySource): KeyResolver {
  const imported = new Map<string, Promise<CryptoKey>>()
  return async (header) => {
    // A damaged key file keeps the keys loaded (the AS logs it when it next signs).
    await source.refresh?.().catch(() => false)
    const jwk = findJwk(source.jwks(), header.kid, header.alg)
    if (!jwk)
      throw new ProtocolError('unknown_key', `no key with kid "${header.kid}" for ${header.alg} in the JWKS`)
    const id = `${header.alg}:${header.kid}`
    let key = imported.get(id)
    if (!key) {
      key = importJWK(jwk, header.alg) as Promise<CryptoKey>
      imported.set(id, key)
      key.catch(() => imported.delete(id))
    }
    const window = source.signingWindow?.(header.kid)
    if (window === undefined) return key
    return new WindowedKey(await key, window.from, window.until)
  }
}
