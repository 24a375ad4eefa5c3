/**
 * Retry schedule of every MTA queue (docs/protocol.md §6, Retries): about 1 min, 5 min, 15 min, 30 min, 1 h, 2 h, then every
 * 4 h, each jittered by ±20 % so a recovered peer is not hit by every queue at once, and scaled by
 * `queueTimeScale` (tests and the demo run the same schedule in fractions of a second).
 */
export const RETRY_SCHEDULE_SECONDS = [60, 300, 900, 1800, 3600, 7200] as const
export const RETRY_STEADY_SECONDS = 4 * 3600
/** A queued item is given up after 5 days. */
export const QUEUE_LIFETIME_SECONDS = 5 * 24 * 3600
/** The sender is told of a delay once an item has waited this long. */
export const DELAY_NOTICE_AFTER_SECONDS = 4 * 3600
/** How long a claim holds a row before another worker may take it over (crash recovery). */
export const LEASE_SECONDS = 60

/** Seconds to wait after the `attempts`-th failed attempt (1-based), before scaling and jitter. */
export function baseRetryDelay(attempts: number): number {
  return RETRY_SCHEDULE_SECONDS[Math.max(0, attempts - 1)] ?? RETRY_STEADY_SECONDS
}

/** Whole seconds until the next attempt: jittered, scaled, at least one second. */
export function retryDelaySeconds(
  attempts: number,
  scale: number,
  random: () => number = Math.random,
): number {
  const jitter = 0.8 + 0.4 * random()
  return Math.max(1, Math.round(baseRetryDelay(attempts) * scale * jitter))
}

/** Scales a queue duration (lifetime, delay-notice threshold, lease) by `queueTimeScale`, whole seconds, at least `min`. */
export function scaled(seconds: number, scale: number, min = 1): number {
  return Math.max(min, Math.ceil(seconds * scale))
}

/** Jobs of one queue talking to one peer domain at once: a slow domain cannot starve the others. */
export const PER_DESTINATION = 4
