import { listResources, type PlaceholderMessage } from '@federizer/protocol'
import { formatBytes, quotaOf } from '@federizer/store'
import { RateLimiterRes } from 'rate-limiter-flexible'
import { StoreRateLimiter } from '../as/limiter.ts'
import type { GatewayContext } from '../context.ts'
import { FederationError } from './errors.ts'

/**
 * The size a message takes in a mailbox, as the store counts it (`messages.size`): its placeholder plus
 * every resource it names.
 */
export function messageBytes(message: PlaceholderMessage): number {
  return JSON.stringify(message).length + listResources(message).reduce((n, r) => n + r.size, 0)
}

/** A message larger than the domain accepts is refused for good (like SMTP 552 5.3.4). */
export function checkMessageSize(ctx: GatewayContext, bytes: number): void {
  const max = ctx.config.limits.maxMessageBytes
  if (bytes > max)
    throw new FederationError(
      'payload_too_large',
      `the message is ${formatBytes(bytes)} with its attachments; ${ctx.config.domain} accepts messages up to ${formatBytes(max)}`,
    )
}

/**
 * Whether `recipient` has room for `bytes` more. A full mailbox is temporary (the owner can make room):
 * the receiver defers the recipient with `mailbox_full` and the sender retries for the queue lifetime,
 * as Postfix does with "452 4.2.2 mailbox full" (RFC 3463 X.2.2). docs/protocol.md §6.
 */
export async function hasRoom(ctx: GatewayContext, recipient: string, bytes: number): Promise<boolean> {
  const q = await quotaOf(ctx.db, recipient, ctx.config.limits.userQuotaBytes)
  return q.usedBytes + bytes <= q.quotaBytes
}

interface PeerLimiters {
  requests: StoreRateLimiter
  bytes: StoreRateLimiter
}

const limiters = new WeakMap<GatewayContext, PeerLimiters>()

function limitersOf(ctx: GatewayContext): PeerLimiters {
  let l = limiters.get(ctx)
  if (!l) {
    const { peerHourlyRequests, peerHourlyBytes } = ctx.config.limits
    // In the store (`rate_limits`), so every replica of the domain spends one budget per peer (issue 13).
    l = {
      requests: new StoreRateLimiter(ctx.db, {
        keyPrefix: 'peer-req',
        points: peerHourlyRequests,
        duration: 3600,
      }),
      // A refused message's bytes are given back, so a smaller one may still fit: never blocked in memory.
      bytes: new StoreRateLimiter(ctx.db, {
        keyPrefix: 'peer-bytes',
        points: peerHourlyBytes,
        duration: 3600,
        blockInMemory: false,
      }),
    }
    limiters.set(ctx, l)
  }
  return l
}

/**
 * Charges one delivery of `bytes` to the verified sending domain's hourly budgets (requests and
 * message bytes). Keyed on the domain the chain proved, never on a claim, so nobody can spend another
 * domain's budget. Over budget: 429 `rate_limited` with the seconds to wait; the sender retries.
 * The counters are rows of the store, shared by every replica of this domain. docs/protocol.md §6.
 */
export async function chargePeer(ctx: GatewayContext, senderDomain: string, bytes: number): Promise<void> {
  const l = limitersOf(ctx)
  const key = senderDomain.toLowerCase()
  const points = Math.max(1, Math.min(bytes, ctx.config.limits.peerHourlyBytes))
  try {
    await l.requests.consume(key, 1)
    try {
      await l.bytes.consume(key, points)
    } catch (e) {
      // A refused message's bytes were not accepted: they do not count against the hour.
      await l.bytes.reward(key, points)
      throw e
    }
  } catch (e) {
    if (!(e instanceof RateLimiterRes)) throw e
    const retryAfter = Math.max(1, Math.ceil(e.msBeforeNext / 1000))
    throw new FederationError(
      'rate_limited',
      `${key} has sent more than ${ctx.config.domain} accepts from one domain per hour; retry in ${retryAfter} s`,
      { retryAfter },
    )
  }
}
