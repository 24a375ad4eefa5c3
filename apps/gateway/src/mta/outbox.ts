import { claimDue, type OutboxRow, outboxRowsByIds } from '@federizer/store'
import type { GatewayContext } from '../context.ts'
import { attemptDelivery } from './outbox-attempt.ts'
import { recordOutcome } from './outbox-outcome.ts'

export { errorText } from './error-text.ts'

/** Claims due outbox rows (`held` past its undo window, or `queued` and due) and turns them `queued`. */
export async function claimOutbox(
  ctx: GatewayContext,
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
    perDestination: {
      column: 'recipient_domain',
      max: (d) => ctx.federation.windows.outbox.limit(d),
      running,
    },
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
  row: OutboxRow,
  signal: AbortSignal,
): Promise<void> {
  const outcome = await attemptDelivery(ctx, row, signal)
  if (signal.aborted) throw signal.reason ?? new Error('aborted')
  const window = ctx.federation.windows.outbox
  if (outcome.kind === 'transient' && outcome.unanswered) window.failed(row.recipient_domain)
  else window.answered(row.recipient_domain)
  await recordOutcome(ctx, row, outcome)
}
