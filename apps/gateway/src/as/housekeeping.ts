import { pruneAsSessions, pruneAuthCodes, pruneRateCounters, pruneReplayCache } from '@federizer/store'
import type { GatewayContext } from '../context.ts'

const INTERVAL_SECONDS = 600
const lastRun = new WeakMap<object, number>()

/**
 * Deletes expired codes, sessions, replay keys, revocations and rate-limit counters at most every ten minutes, piggy-backed on
 * requests (no timer to stop at shutdown). Failures are logged, never surfaced to the request.
 */
export function maybePrune(ctx: GatewayContext): void {
  const now = ctx.now()
  if (now - (lastRun.get(ctx.as) ?? 0) < INTERVAL_SECONDS) return
  lastRun.set(ctx.as, now)
  Promise.all([
    pruneAuthCodes(ctx.db, now),
    pruneAsSessions(ctx.db, now),
    pruneReplayCache(ctx.db, now),
    pruneRateCounters(ctx.db, Date.now()),
  ]).catch((err) => ctx.logger.warn({ err }, 'auth housekeeping failed'))
}
