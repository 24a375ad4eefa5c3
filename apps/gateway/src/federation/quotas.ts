import { listResources, type PlaceholderMessage } from '@federizer/protocol'
import { chargeBudgets, type Db, formatBytes, quotaOf } from '@federizer/store'
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

/** Peers over their request budget, until the window ends (epoch ms): a flood of refusals costs no writes. */
const blocked = new WeakMap<GatewayContext, Map<string, number>>()

function refuse(ctx: GatewayContext, key: string, untilMs: number): never {
  const retryAfter = Math.max(1, Math.ceil((untilMs - Date.now()) / 1000))
  throw new FederationError(
    'rate_limited',
    `${key} has sent more than ${ctx.config.domain} accepts from one domain per hour; retry in ${retryAfter} s`,
    { retryAfter },
  )
}

/**
 * Charges one delivery of `bytes` to the verified sending domain's hourly budgets (requests and
 * message bytes). Keyed on the domain the chain proved, never on a claim, so nobody can spend another
 * domain's budget. Over budget: 429 `rate_limited` with the seconds to wait; the sender retries.
 * The counters are rows of the store (`rate_limits`, keys `peer-req:` and `peer-bytes:`), shared by
 * every replica of this domain, and both are charged in one transaction: `db`, the delivery's own
 * transaction when it stores (one commit per hop), so a refused delivery, which rolls back, charges
 * nothing. A refused message's bytes are given back, so a smaller one may still fit. docs/protocol.md §6.
 */
export async function chargePeer(
  ctx: GatewayContext,
  senderDomain: string,
  bytes: number,
  db: Db = ctx.db,
): Promise<void> {
  const key = senderDomain.toLowerCase()
  const { peerHourlyRequests, peerHourlyBytes } = ctx.config.limits
  const nowMs = Date.now()
  const hour = 3600_000
  const outcome = await chargeBudgets(
    db,
    [
      { key: `peer-req:${key}`, points: 1, max: peerHourlyRequests, durationMs: hour },
      {
        key: `peer-bytes:${key}`,
        points: Math.max(1, Math.min(bytes, peerHourlyBytes)),
        max: peerHourlyBytes,
        durationMs: hour,
        giveBackIfOver: true,
      },
    ],
    nowMs,
  )
  if (outcome.ok) return
  const end = outcome.counter.expireMs ?? nowMs + hour
  if (outcome.index === 0) blockedOf(ctx).set(key, end)
  refuse(ctx, key, end)
}

/**
 * A delivery refused inside its own transaction (over a budget), which rolled its charge back, still
 * counts as one request of the hour: charged again alone, in a commit of its own.
 */
export async function countRefusedDelivery(ctx: GatewayContext, senderDomain: string): Promise<void> {
  const key = senderDomain.toLowerCase()
  await chargeBudgets(
    ctx.db,
    [{ key: `peer-req:${key}`, points: 1, max: Number.MAX_SAFE_INTEGER, durationMs: 3600_000 }],
    Date.now(),
  )
}

function blockedOf(ctx: GatewayContext): Map<string, number> {
  const mine = blocked.get(ctx) ?? new Map<string, number>()
  blocked.set(ctx, mine)
  return mine
}

/** Refuses at once a peer this process saw over its request budget, until that window ends (no write). */
export function refuseBlockedPeer(ctx: GatewayContext, senderDomain: string): void {
  const key = senderDomain.toLowerCase()
  const mine = blockedOf(ctx)
  const until = mine.get(key)
  if (until === undefined) return
  if (until > Date.now()) refuse(ctx, key, until)
  mine.delete(key)
}
