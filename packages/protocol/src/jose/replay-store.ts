import type { ReplayStore } from './dpop.ts'

/**
 * An in-process ReplayStore (a Map with expiry), for a single server process and for tests.
 * A replicated deployment passes a store backed by the shared database instead.
 * `now` returns epoch seconds; expired entries are swept as new ones arrive.
 */
export function createMemoryReplayStore(now: () => number, maxEntries = 100_000): ReplayStore {
  const entries = new Map<string, number>()
  return {
    async seen(key, expiresAt) {
      const t = now()
      const existing = entries.get(key)
      if (existing !== undefined && existing > t) return true
      if (entries.size >= maxEntries) {
        for (const [k, exp] of entries) if (exp <= t) entries.delete(k)
        // Still full of live entries: refuse rather than forget one (a forgotten jti could be replayed).
        if (entries.size >= maxEntries) return true
      }
      entries.set(key, expiresAt)
      return false
    },
  }
}
