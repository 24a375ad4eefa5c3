/**
 * Recording an attempt's outcome on the outbox row, the per-recipient delivery states and the sender's
 * failure or delay notices (docs/protocol.md §6 Retries).
 */
import { readMessage } from '@federizer/protocol'
import {
  endOutboxAttempt,
  inTransaction,
  narrowOutboxRecipients,
  type OutboxRow,
  recordDeliveryStatus,
  storedPlaceholder,
  storedStrings,
} from '@federizer/store'
import type { GatewayContext } from '../context.ts'
import { insertNotice } from './notices.ts'
import { knownRefusal, mailboxFullText, type Outcome } from './outbox-attempt.ts'

/** What the sender sees for a recipient the receiver refused: ours, by the receiver's stable code. */
const refusalText = (code: string | undefined) => knownRefusal(code) ?? 'refused by the recipient domain'

/** Records the outcome of one attempt (rows, states, notices) and logs one line for it. */
export async function recordOutcome(ctx: GatewayContext, row: OutboxRow, outcome: Outcome): Promise<void> {
  await recordOutcomeRows(ctx, row, outcome)
  // One line per attempt, like an MTA's mail log: where, for whom, what happened (never tokens or bodies).
  const line = { outbox: row.id, to: row.recipient_domain, attempts: row.attempts + 1 }
  if (outcome.kind === 'delivered') {
    ctx.logger.info(
      { ...line, results: outcome.results.map((r) => `${r.recipient} ${r.status}`) },
      'delivered',
    )
  } else
    ctx.logger.warn(
      { ...line, reason: outcome.reason, detail: outcome.detail, permanent: outcome.kind === 'permanent' },
      'delivery attempt failed',
    )
}

async function recordOutcomeRows(ctx: GatewayContext, claimed: OutboxRow, result: Outcome): Promise<void> {
  const now = ctx.now()
  const { schedule } = ctx.domain
  let row = claimed
  let outcome = result
  let recipients = storedRecipients(row)
  // Read back from the stored message only when a notice needs it (not on the common delivered path).
  let described: ReturnType<typeof describe> | undefined
  const about = () => (described ??= describe(row))
  await inTransaction(ctx.db, async (trx) => {
    if (outcome.kind === 'delivered') {
      const deferred = outcome.results.filter((r) => r.status === 'deferred').map((r) => r.recipient)
      await endOutboxAttempt(trx, row, { state: 'delivered' }, now)
      const bounced: Array<{ address: string; reason: string }> = []
      for (const r of outcome.results) {
        if (r.status === 'deferred') continue
        const accepted = r.status === 'accepted'
        const detail = accepted
          ? null
          : `${r.error ?? 'rejected'}: ${outcome.reasons?.[r.recipient] ?? refusalText(r.error)}`
        await recordDeliveryStatus(trx, {
          messageRowId: row.message_row_id,
          recipient: r.recipient,
          state: accepted ? 'delivered' : 'bounced',
          ...(detail ? { detail } : {}),
        })
        if (!accepted) bounced.push({ address: r.recipient, reason: detail ?? 'rejected' })
      }
      if (bounced.length > 0)
        await insertNotice(ctx, trx, {
          kind: 'failure',
          account: row.account,
          ...about(),
          recipients: bounced,
        })
      if (deferred.length === 0) return
      // The others are stored; the row goes on for the deferred recipients only (a transient outcome).
      await narrowOutboxRecipients(trx, row.id, deferred)
      row = { ...row, recipients: JSON.stringify(deferred) }
      recipients = deferred
      outcome = { kind: 'transient', reason: mailboxFullText(deferred) }
    }
    // The lifetime runs from the first queueing (created_at); the store wrote the same scaled expiry.
    const expired = now >= Math.min(row.expires_at, row.created_at + schedule.lifetimeSeconds)
    if (outcome.kind === 'permanent' || expired) {
      const reason =
        outcome.kind === 'permanent'
          ? outcome.reason
          : `gave up after the queue lifetime; last error: ${outcome.reason}`
      await endOutboxAttempt(trx, row, { state: 'failed', error: reason }, now)
      for (const recipient of recipients) {
        await recordDeliveryStatus(trx, {
          messageRowId: row.message_row_id,
          recipient,
          state: 'failed',
          detail: reason,
        })
      }
      await insertNotice(ctx, trx, {
        kind: 'failure',
        account: row.account,
        ...about(),
        recipients: recipients.map((address) => ({ address, reason })),
      })
      return
    }
    const retryReason = outcome.reason
    const attempts = row.attempts + 1
    const next = now + schedule.retryDelaySeconds(attempts)
    const notifyDelay = row.delay_notified === 0 && now - row.created_at >= schedule.delayNoticeAfterSeconds
    await endOutboxAttempt(
      trx,
      row,
      { state: 'retry', error: outcome.reason, nextAttemptAt: next, delayNotified: notifyDelay },
      now,
    )
    for (const recipient of recipients) {
      await recordDeliveryStatus(trx, {
        messageRowId: row.message_row_id,
        recipient,
        state: notifyDelay || row.delay_notified ? 'delayed' : 'queued',
        detail: `attempt ${attempts} failed: ${outcome.reason}`,
      })
    }
    if (notifyDelay) {
      await insertNotice(
        ctx,
        trx,
        {
          kind: 'delay',
          account: row.account,
          ...about(),
          recipients: recipients.map((address) => ({ address, reason: retryReason })),
        },
        'for up to 5 days',
      )
    }
  })
}

/** The row's recipients; none when the column is unreadable (the attempt already failed as corrupt). */
function storedRecipients(row: OutboxRow): string[] {
  try {
    return storedStrings(row.recipients)
  } catch {
    return []
  }
}

function describe(row: OutboxRow): { subject: string; messageId: string } {
  try {
    const m = readMessage(storedPlaceholder(row.placeholder))
    return { subject: m.subject, messageId: m.messageId }
  } catch {
    return { subject: '(unreadable message)', messageId: '(unknown)' }
  }
}
