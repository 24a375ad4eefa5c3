/** One limit: at most `max` events per `windowSeconds`. */
export interface RateLimit {
  max: number
  windowSeconds: number
}

/**
 * In-memory sliding-window counter, one per gateway process (documented in openapi/README.md: replicas each
 * keep their own, so the effective limit is per replica). Each key keeps two fixed-window counts and
 * weighs the previous window by how much of it still overlaps the sliding one: O(1) time and memory per
 * key whatever the rate (a log of timestamps cost O(max) per request at the MTA's thousands per minute).
 * Keys are bucketed strings such as `login-ip:127.0.0.1`; the oldest key is evicted past `maxKeys`.
 */
export class SlidingWindowLimiter {
  private readonly counts = new Map<string, { start: number; current: number; previous: number }>()
  constructor(private readonly maxKeys = 50_000) {}

  private estimate(key: string, limit: RateLimit, now: number) {
    const w = limit.windowSeconds
    const start = Math.floor(now / w) * w
    let entry = this.counts.get(key)
    if (!entry || entry.start !== start) {
      const previous = entry && entry.start === start - w ? entry.current : 0
      entry = { start, current: 0, previous }
    }
    const overlap = 1 - (now - start) / w
    return {
      entry,
      count: entry.previous * overlap + entry.current,
      wait: Math.max(1, Math.ceil(start + w - now)),
    }
  }

  /**
   * Records an event for `key` if under the limit. Returns 0 when allowed, otherwise the seconds until
   * the current fixed window ends (the `Retry-After` value, at least 1).
   */
  hit(key: string, limit: RateLimit, now: number): number {
    const { entry, count, wait } = this.estimate(key, limit, now)
    this.counts.delete(key)
    this.counts.set(key, entry)
    if (this.counts.size > this.maxKeys) {
      const oldest = this.counts.keys().next().value
      if (oldest !== undefined) this.counts.delete(oldest)
    }
    if (count + 1 > limit.max) return wait
    entry.current++
    return 0
  }

  /** Seconds to wait before `key` may act again without recording anything (0 when it may). */
  check(key: string, limit: RateLimit, now: number): number {
    const { count, wait } = this.estimate(key, limit, now)
    return count + 1 > limit.max ? wait : 0
  }

  /** Forgets `key` (a successful sign-in clears the account's failure count). */
  reset(key: string): void {
    this.counts.delete(key)
  }
}
