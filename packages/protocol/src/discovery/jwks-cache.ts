import type { JWK } from 'jose'
import { ProtocolError } from '../errors.ts'
import type { KeyResolver } from '../jose/jwt.ts'
import { findJwk } from '../jose/keys.ts'
import { LruMap } from './lru.ts'

/** A peer's JWKS is kept at least this long, whatever its Cache-Control says (no refetch per request). */
export const JWKS_MIN_CACHE_SECONDS = 60
/** …and at most this long: a key the peer removed stops being trusted within the hour. */
export const JWKS_MAX_CACHE_SECONDS = 3600
/** At most one refetch per issuer in this many seconds because of an unknown `kid`. */
export const UNKNOWN_KID_REFETCH_FLOOR_SECONDS = 30

/** A fetched JWKS with the `Cache-Control` header it was served with (null when absent). */
export interface FetchedJwks {
  jwks: { keys: JWK[] }
  cacheControl: string | null
}

export interface JwksCacheOptions {
  /** Fetches the JWKS of an issuer (its metadata's `jwks_uri`). */
  load: (issuer: string) => Promise<FetchedJwks>
  now: () => number
  /** Lifetime when the response names no max-age (bounded like max-age). */
  defaultSeconds: number
  /** How long a failed fetch is remembered (so a dead peer is not asked on every request). */
  failureSeconds: number
  maxEntries: number
}

/**
 * How long a JWKS response may be used: its `max-age` (RFC 9111 §5.2.2.1), `no-store` / `no-cache` as 0,
 * bounded to [JWKS_MIN_CACHE_SECONDS, JWKS_MAX_CACHE_SECONDS]. One directive is read, so a regex does.
 * @see RFC 9111 §5.2.2
 */
export function jwksLifetime(cacheControl: string | null, defaultSeconds: number): number {
  let seconds = defaultSeconds
  if (cacheControl !== null) {
    const maxAge = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/i.exec(cacheControl)
    if (/(?:^|,)\s*no-(?:store|cache)\s*(?:[,=]|$)/i.test(cacheControl)) seconds = 0
    else if (maxAge?.[1] !== undefined) seconds = Number(maxAge[1])
  }
  return Math.min(JWKS_MAX_CACHE_SECONDS, Math.max(JWKS_MIN_CACHE_SECONDS, seconds))
}

interface Entry {
  jwks?: { keys: JWK[] }
  error?: unknown
  expiresAt: number
  /** When an unknown kid last made us refetch (the floor is per issuer, not per kid). */
  lastKidRefetch: number
}

/**
 * The remote key cache: each issuer's JWKS kept for its Cache-Control lifetime (bounded), so a key the
 * peer removed stops verifying when that lifetime ends, without a restart; an unknown `kid` (a key
 * rotated in) refetches at most once per UNKNOWN_KID_REFETCH_FLOOR_SECONDS per issuer, so a flood of
 * made-up kids costs the peer one request per floor.
 * @see RFC 7517 §5, RFC 7515 §4.1.4, docs/protocol.md §5
 */
export function createJwksCache(options: JwksCacheOptions): (issuer: string) => KeyResolver {
  const entries = new LruMap<string, Entry>(options.maxEntries)
  const inflight = new Map<string, Promise<Entry>>()

  /**
   * Fetches the issuer's JWKS (concurrent callers share one request) and stores it. A failed refetch for
   * an unknown kid keeps the keys already held (`previous`): a peer down for a moment, or a flood of
   * unknown kids at that moment, must not cost the keys that still verify.
   */
  function fetchInto(issuer: string, lastKidRefetch: number, previous?: Entry): Promise<Entry> {
    const running = inflight.get(issuer)
    if (running !== undefined) return running
    const promise = options
      .load(issuer)
      .then(
        ({ jwks, cacheControl }): Entry => {
          const entry = {
            jwks,
            expiresAt: options.now() + jwksLifetime(cacheControl, options.defaultSeconds),
            lastKidRefetch,
          }
          entries.set(issuer, entry)
          return entry
        },
        (error: unknown): Entry => {
          const failed = { error, expiresAt: options.now() + options.failureSeconds, lastKidRefetch }
          entries.set(issuer, previous?.jwks !== undefined ? { ...previous, lastKidRefetch } : failed)
          return failed
        },
      )
      .finally(() => inflight.delete(issuer))
    inflight.set(issuer, promise)
    return promise
  }

  return (issuer) => async (header) => {
    let entry = entries.get(issuer)
    const stale = entry === undefined || entry.expiresAt <= options.now()
    if (stale) entry = await fetchInto(issuer, entry?.lastKidRefetch ?? Number.NEGATIVE_INFINITY)
    if (entry?.jwks === undefined) throw entry?.error
    let key = findJwk(entry.jwks, header.kid, header.alg)
    const floorPassed = options.now() - entry.lastKidRefetch >= UNKNOWN_KID_REFETCH_FLOOR_SECONDS
    if (key === undefined && !stale && floorPassed) {
      // An unknown kid may be a key rotated in since we cached: refetch, at most once per floor.
      entry = await fetchInto(issuer, options.now(), entry)
      if (entry.jwks === undefined) throw entry.error
      key = findJwk(entry.jwks, header.kid, header.alg)
    }
    if (key === undefined)
      throw new ProtocolError('unknown_key', `the JWKS of ${issuer} has no ${header.alg} key "${header.kid}"`)
    return key
  }
}
