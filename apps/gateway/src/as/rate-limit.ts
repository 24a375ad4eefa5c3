/** One limit: at most `max` events per `windowSeconds`. */
export interface RateLimit {
  max: number
  windowSeconds: number
}

/**
 * In-memory sliding-window log, one per gateway process (documented in openapi/README.md: replicas each
 * keep their own, so the effective limit is per replica). Keys are bucketed strings such as
 * `login-ip:127.0.0.1`; the oldest key is evicted past `maxKeys` so memory stays bounded.
 */
export class SlidingWindowLimiter {
  private readonly events = new Map<string, number[]>()
  constructor(private readonly maxKeys = 50_000) {}

  /**
   * Records an event for `key` if under the limit. Returns 0 when allowed, otherwise the seconds until
   * the oldest event leaves the window (the `Retry-After` value, at least 1).
   */
  hit(key: string, limit: RateLimit, now: number): number {
    const since = now - limit.windowSeconds
    const kept = (this.events.get(key) ?? []).filter((t) => t > since)
    if (kept.length >= limit.max) {
      this.events.set(key, kept)
      return Math.max(1, Math.ceil(kept[0]! + limit.windowSeconds - now))
    }
    kept.push(now)
    this.events.delete(key)
    this.events.set(key, kept)
    if (this.events.size > this.maxKeys) {
      const oldest = this.events.keys().next().value
      if (oldest !== undefined) this.events.delete(oldest)
    }
    return 0
  }

  /** Seconds to wait before `key` may act again without recording anything (0 when it may). */
  check(key: string, limit: RateLimit, now: number): number {
    const kept = (this.events.get(key) ?? []).filter((t) => t > now - limit.windowSeconds)
    return kept.length >= limit.max ? Math.max(1, Math.ceil(kept[0]! + limit.windowSeconds - now)) : 0
  }

  /** Forgets `key` (a successful sign-in clears the account's failure count). */
  reset(key: string): void {
    this.events.delete(key)
  }
}
