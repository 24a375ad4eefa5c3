import type { Db } from './db.ts'
import { newId } from './ids.ts'
import { addResourceRefs, removeResourceRefs } from './resource-refs.ts'
import type { DeliveryState, DeliveryStatusRow, OutboxRow } from './schema-mailbox.ts'
import { allocateModseq } from './sync.ts'
import { inTransaction, nowSeconds } from './tx.ts'

/** How long recipients may still fetch after the last delivery attempt (fetch token lifetime + slack). */
export const FETCH_WINDOW_SECONDS = 2 * 24 * 3600

export interface NewOutboxEntry {
  account: string
  messageRowId: string
  recipientDomain: string
  recipients: string[]
  /** The message as delivered to that domain (Bcc removed, assertion pushed). */
  placeholder: unknown
  dpopKey: { privateJwk: unknown; publicJwk: unknown }
  /** Resources the delivered message references: kept on disk while recipients may fetch them. */
  contentIds: string[]
  holdUntil: number
  /** `held` (the default: the undo window or a queued reply) or `queued` (an auto-forward, never held). */
  state?: 'held' | 'queued'
  now: number
  /** The queue lifetime of the domain's schedule (`DomainContext.schedule.lifetimeSeconds`, already scaled). */
  lifetimeSeconds: number
}

/** Queues one delivery (state 'held' until `holdUntil`, the undo window, unless `state` says otherwise); returns the row id. */
export async function enqueueOutbox(db: Db, e: NewOutboxEntry): Promise<string> {
  const id = newId('ob')
  const expiresAt = e.now + e.lifetimeSeconds
  await db
    .insertInto('outbox')
    .values({
      id,
      account: e.account,
      message_row_id: e.messageRowId,
      recipient_domain: e.recipientDomain,
      recipients: JSON.stringify(e.recipients),
      placeholder: JSON.stringify(e.placeholder),
      dpop_key: JSON.stringify(e.dpopKey),
      state: e.state ?? 'held',
      attempts: 0,
      next_attempt_at: e.holdUntil,
      lease_until: null,
      expires_at: expiresAt,
      last_error: null,
      delay_notified: 0,
      created_at: e.now,
      updated_at: e.now,
    })
    .execute()
  await addResourceRefs(db, {
    account: e.account,
    ownerKind: 'outbox',
    ownerId: id,
    contentIds: e.contentIds,
    // Keeps the bytes for the recipients' fetches; the sender reads through its Sent copy.
    readable: false,
    keepUntil: expiresAt + FETCH_WINDOW_SECONDS,
  })
  return id
}

export async function outboxRowsForMessage(db: Db, messageRowId: string): Promise<OutboxRow[]> {
  return db.selectFrom('outbox').selectAll().where('message_row_id', '=', messageRowId).execute()
}

/** Recipient → epoch seconds until which its delivery is still retried (rows not yet delivered or ended). */
export function retryUntilByRecipient(rows: readonly OutboxRow[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const row of rows) {
    if (row.state !== 'held' && row.state !== 'queued') continue
    for (const r of JSON.parse(row.recipients) as string[]) out.set(r.toLowerCase(), Number(row.expires_at))
  }
  return out
}

/**
 * Cancels every delivery of a message while all of them are still held and unclaimed.
 * Returns false (and changes nothing) once any of them has been claimed or released to the MTA.
 */
export async function cancelHeldOutbox(db: Db, messageRowId: string, now: number): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    // Rows of an earlier, undone send of the same message stay cancelled and do not count.
    const rows = (await outboxRowsForMessage(trx, messageRowId)).filter((r) => r.state !== 'cancelled')
    const cancellable = rows.every(
      (r) => r.state === 'held' && r.lease_until === null && Number(r.next_attempt_at) > now,
    )
    if (rows.length === 0 || !cancellable) return false
    const res = await trx
      .updateTable('outbox')
      .set({ state: 'cancelled', updated_at: now })
      .where('message_row_id', '=', messageRowId)
      .where('state', '=', 'held')
      .where('lease_until', 'is', null)
      .where('next_attempt_at', '>', now)
      .executeTakeFirst()
    if (Number(res.numUpdatedRows) !== rows.length) throw new Error('outbox rows changed while cancelling')
    for (const r of rows) await removeResourceRefs(trx, 'outbox', r.id)
    await trx.deleteFrom('delivery_status').where('message_row_id', '=', messageRowId).execute()
    return true
  })
}

/**
 * Records the delivery state of one recipient of a sent message (shown on the sender's copy) and bumps
 * the sender's state so the webmail sees it.
 */
export async function recordDeliveryStatus(
  db: Db,
  input: { messageRowId: string; recipient: string; state: DeliveryState; detail?: string },
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const now = nowSeconds()
    const recipient = input.recipient.toLowerCase()
    await trx
      .insertInto('delivery_status')
      .values({
        message_row_id: input.messageRowId,
        recipient,
        state: input.state,
        detail: input.detail ?? null,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc
          .columns(['message_row_id', 'recipient'])
          .doUpdateSet({ state: input.state, detail: input.detail ?? null, updated_at: now }),
      )
      .execute()
    const msg = await trx
      .selectFrom('messages')
      .select('account')
      .where('id', '=', input.messageRowId)
      .executeTakeFirst()
    if (msg) {
      const modseq = await allocateModseq(trx, msg.account)
      await trx.updateTable('messages').set({ modseq }).where('id', '=', input.messageRowId).execute()
    }
  })
}

export async function deliveryStatusFor(db: Db, messageRowIds: string[]): Promise<DeliveryStatusRow[]> {
  if (messageRowIds.length === 0) return []
  return db
    .selectFrom('delivery_status')
    .selectAll()
    .where('message_row_id', 'in', messageRowIds)
    .orderBy('recipient')
    .execute()
}

/** What a person can do about a delivery that is retrying or has failed. */
export type OutboxActionResult =
  | { ok: true; count: number }
  | { ok: false; reason: 'nothing_to_do' | 'in_progress' | 'expired' }

/** Rows of one sent message that belong to `account` and are still retrying or have failed. */
async function stuckRows(db: Db, account: string, messageRowId: string): Promise<OutboxRow[]> {
  return db
    .selectFrom('outbox')
    .selectAll()
    .where('message_row_id', '=', messageRowId)
    .where('account', '=', account)
    .where('state', 'in', ['queued', 'failed'])
    .execute()
}

/**
 * "Retry now": every retrying or failed delivery of the message is due at once (a failed one is queued
 * again). Refused while an attempt is running, or once the queue lifetime has passed (the hop
 * assertion would no longer be accepted: send it again as a new message).
 */
export async function retryOutbox(
  db: Db,
  input: { account: string; messageRowId: string; now: number },
): Promise<OutboxActionResult> {
  return inTransaction(db, async (trx) => {
    const rows = await stuckRows(trx, input.account, input.messageRowId)
    if (rows.length === 0) return { ok: false, reason: 'nothing_to_do' }
    if (rows.some((r) => r.lease_until !== null && Number(r.lease_until) >= input.now))
      return { ok: false, reason: 'in_progress' }
    const live = rows.filter((r) => Number(r.expires_at) > input.now)
    if (live.length === 0) return { ok: false, reason: 'expired' }
    for (const r of live) {
      await trx
        .updateTable('outbox')
        .set({ state: 'queued', next_attempt_at: input.now, lease_until: null, updated_at: input.now })
        .where('id', '=', r.id)
        .execute()
      for (const recipient of JSON.parse(r.recipients) as string[])
        await recordDeliveryStatus(trx, {
          messageRowId: r.message_row_id,
          recipient,
          state: 'queued',
          detail: 'retrying now (asked by the sender)',
        })
    }
    return { ok: true, count: live.length }
  })
}

/**
 * "Cancel": stops every retrying or failed delivery of the message; recipients already delivered keep
 * their copy. Refused while an attempt is running (it may be succeeding right now).
 */
export async function cancelOutbox(
  db: Db,
  input: { account: string; messageRowId: string; now: number },
): Promise<OutboxActionResult> {
  return inTransaction(db, async (trx) => {
    const rows = await stuckRows(trx, input.account, input.messageRowId)
    if (rows.length === 0) return { ok: false, reason: 'nothing_to_do' }
    if (rows.some((r) => r.lease_until !== null && Number(r.lease_until) >= input.now))
      return { ok: false, reason: 'in_progress' }
    for (const r of rows) {
      await trx
        .updateTable('outbox')
        .set({ state: 'cancelled', lease_until: null, updated_at: input.now })
        .where('id', '=', r.id)
        .execute()
      await removeResourceRefs(trx, 'outbox', r.id)
      for (const recipient of JSON.parse(r.recipients) as string[])
        await recordDeliveryStatus(trx, {
          messageRowId: r.message_row_id,
          recipient,
          state: 'cancelled',
          detail: 'cancelled by the sender',
        })
    }
    return { ok: true, count: rows.length }
  })
}
