/**
 * The MTA queues' schedule (docs/protocol.md §6, Retries): retries about 1 min, 5 min, 15 min, 30 min,
 * 1 h, 2 h, then every 4 h, each jittered by ±20 % so a recovered peer is not hit by every queue at once;
 * a queued item is given up after 5 days; the sender hears of a delay after 4 h. Every duration is
 * multiplied by `DomainConfig.queueTimeScale` here, once (tests and the demo run the same schedule in
 * fractions of a second); nothing else reads the scale.
 */
const RETRY_SCHEDULE_SECONDS = [60, 300, 900, 1800, 3600, 7200] as const
const RETRY_STEADY_SECONDS = 4 * 3600
/** A queued item is given up after 5 days (unscaled). */
export const QUEUE_LIFETIME_SECONDS = 5 * 24 * 3600
/** The sender is told of a delay once an item has waited this long (unscaled). */
const DELAY_NOTICE_AFTER_SECONDS = 4 * 3600
/** How long a claim holds a row before another worker may take it over (crash recovery; unscaled). */
const LEASE_SECONDS = 60
/**
 * The MTA's safety-net poll when other processes' enqueues wake it (PostgreSQL LISTEN/NOTIFY, SQLite's
 * data_version and the api's wake file; unscaled): it only finds work whose wake-up was lost (a
 * notification sent while the listener reconnected). Rows coming due later (retries, undo-send holds,
 * lapsing leases) are found by the due-time sleep (gateway mta/due.ts), not by this poll.
 */
const SAFETY_NET_POLL_SECONDS = 60
/** How long a peer that could not be discovered stays remembered as down (unscaled, never lengthened). */
const DISCOVERY_FAILURE_SECONDS = 30

/** The schedule of one domain's queues, every duration already scaled (whole seconds). */
export interface QueueSchedule {
  /** DomainConfig.queueTimeScale. */
  scale: number
  /** From the first queueing until the item is given up. */
  lifetimeSeconds: number
  /** Waiting this long earns the sender a delay notice. */
  delayNoticeAfterSeconds: number
  /** A claim's lease (at least 2 s, so a claim outlives one poll). */
  leaseSeconds: number
  /** The MTA's idle poll where wake-ups cover every enqueue (at least 1 s). */
  safetyNetPollSeconds: number
  /** How long discovery remembers a failed lookup (scaled down only: at most 30 s, at least 1 s). */
  discoveryFailureSeconds: number
  /** Whole seconds until the attempt after the `attempts`-th failed one (1-based): jittered, at least 1. */
  retryDelaySeconds(attempts: number, random?: () => number): number
}

/** Seconds to wait after the `attempts`-th failed attempt (1-based), before scaling and jitter. */
export function baseRetryDelay(attempts: number): number {
  return RETRY_SCHEDULE_SECONDS[Math.max(0, attempts - 1)] ?? RETRY_STEADY_SECONDS
}

/** Scales a queue duration by `scale`: whole seconds, at least `min`. */
export function scaled(seconds: number, scale: number, min = 1): number {
  return Math.max(min, Math.ceil(seconds * scale))
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

/** The schedule for `DomainConfig.queueTimeScale` = `scale`, read once by the domain context. */
export function queueSchedule(scale: number): QueueSchedule {
  return {
    scale,
    lifetimeSeconds: scaled(QUEUE_LIFETIME_SECONDS, scale),
    delayNoticeAfterSeconds: scaled(DELAY_NOTICE_AFTER_SECONDS, scale),
    leaseSeconds: scaled(LEASE_SECONDS, scale, 2),
    safetyNetPollSeconds: scaled(SAFETY_NET_POLL_SECONDS, scale),
    discoveryFailureSeconds: Math.max(1, Math.round(DISCOVERY_FAILURE_SECONDS * Math.min(1, scale))),
    retryDelaySeconds: (attempts, random) => retryDelaySeconds(attempts, scale, random),
  }
}
