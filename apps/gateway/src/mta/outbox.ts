import { claimDue, type OutboxRow, outboxRowsByIds } from '@federizer/store'
import type { GatewayContext } from '../context.ts'
import { attemptDelivery } from './outbox-attempt.ts'
import { recordOutcome } from './outbox-outcome.ts'
import { ConcurrencyWindows } from './window.ts'

export { errorText } from './error-text.ts'

/**
 * The most deliveries to one peer domain in flight at once (Postfix's
 * `default_destination_concurrency_limit` is 20). Each is one small POST whose answer waits for the
 * receiver's commit, so with 4 the link to a busy peer idled while both ends had CPU to spare: two
 * alternating pairs of bench runs, 4 → 16, gave 107 → 131 and 147 → 176 msg/s (medians of three;
 * docs/benchmarks.md).
 */
export const OUTBOX_PER_DESTINATION = 16

/**
 * A domain not heard from starts with this many deliveries in flight and earns the rest one answer at a
 * time (window.ts): a stalled domain holds 4 slots, then fewer, not 16.
 */
export const OUTBOX_INITIAL_WINDOW = 4

/** The outbox's per-destination windows: one per MTA process, shared by its claims and deliveries. */
export const outboxWindows = () => new ConcurrencyWindows(OUTBOX_INITIAL_WINDOW, OUTBOX_PER_DESTINATION)

/** Claims due outbox rows (`held` past its undo window, or `queued` and due) and turns them `queued`. */
export async function claimOutbox(
  ctx: GatewayContext,
  windows: ConcurrencyWindows,
  limit: number,
  exclude: ReadonlySet<string>,
  running: ReadonlyMap<string, number>,
) {
  const now = ctx.now()
  const ids = await claimDue(ctx.db, 'outbox', {
    now,
    limit,
    exclude,
    states: ['held', 'queued'],
    setState: 'queued',
    perDestination: { column: 'recipient_domain', max: (d) => windows.limit(d), running },
    leaseSeconds: ctx.domain.schedule.leaseSeconds,
  })
  return outboxRowsByIds(ctx.db, ids)
}

/**
 * Delivers one outbox row: discovers the recipient domain's mailbox, POSTs the placeholder with the
 * hop assertion (`Authorization: DPoP`) and a proof made with the row's ephemeral key, then records the
 * per-recipient outcome. Permanent refusals (4xx other than 408/429) fail at once with the receiver's
 * reason; anything else is retried with backoff until the queue lifetime ends. The answer (or its
 * absence) moves the recipient domain's concurrency window.
 * @see docs/protocol.md §6 (Delivery, Retries); RFC 9449 §7.1
 */
export async function deliverOutboxRow(
  ctx: GatewayContext,
  windows: ConcurrencyWindows,
  row: OutboxRow,
  signal: AbortSignal,
): Promise<void> {
  const outcome = await attemptDelivery(ctx, row, signal)
  if (signal.aborted) throw signal.reason ?? new Error('aborted')
  if (outcome.kind === 'transient' && outcome.unanswered) windows.failed(row.recipient_domain)
  else windows.answered(row.recipient_domain)
  await recordOutcome(ctx, row, outcome)
}
