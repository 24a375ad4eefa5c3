import { claimDue, type OutboxRow, outboxRowsByIds } from '@federizer/store'
import type { GatewayContext } from '../context.ts'
import { attemptDelivery } from './outbox-attempt.ts'
import { recordOutcome } from './outbox-outcome.ts'

export { errorText } from './error-text.ts'

/**
 * Deliveries to one peer domain in flight at once (Postfix's `default_destination_concurrency_limit` is
 * 20). Each is one small POST whose answer waits for the receiver's commit, so with 4 the link to a
 * busy peer idled while both ends had CPU to spare: two alternating pairs of bench runs, 4 → 16, gave
 * 107 → 131 and 147 → 176 msg/s (medians of three; docs/benchmarks.md). The outbox runs 64 rows at once
 * (workers.ts), so four stalled domains are needed to take every slot.
 */
export const OUTBOX_PER_DESTINATION = 16

/** Claims due outbox rows (`held` past its undo window, or `queued` and due) and turns them `queued`. */
export async function claimOutbox(
  ctx: GatewayContext,
  limit: number,
  exclude: ReadonlySet<string>,
  running: ReadonlyMap<string, number> = new Map(),
) {
  const now = ctx.now()
  const ids = await claimDue(ctx.db, 'outbox', {
    now,
    limit,
    exclude,
    states: ['held', 'queued'],
    setState: 'queued',
    perDestination: { column: 'recipient_domain', max: OUTBOX_PER_DESTINATION, running },
    leaseSeconds: ctx.domain.schedule.leaseSeconds,
  })
  return outboxRowsByIds(ctx.db, ids)
}

/**
 * Delivers one outbox row: discovers the recipient domain's mailbox, POSTs the placeholder with the
 * hop assertion (`Authorization: DPoP`) and a proof made with the row's ephemeral key, then records the
 * per-recipient outcome. Permanent refusals (4xx other than 408/429) fail at once with the receiver's
 * reason; anything else is retried with backoff until the queue lifetime ends.
 * @see docs/protocol.md §6 (Delivery, Retries); RFC 9449 §7.1
 */
export async function deliverOutboxRow(
  ctx: GatewayContext,
  row: OutboxRow,
  signal: AbortSignal,
): Promise<void> {
  const outcome = await attemptDelivery(ctx, row, signal)
  if (signal.aborted) throw signal.reason ?? new Error('aborted')
  await recordOutcome(ctx, row, outcome)
}
