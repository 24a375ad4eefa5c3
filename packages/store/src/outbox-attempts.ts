/**
 * The MTA's side of the outbox: reading claimed rows and recording how each delivery attempt ended
 * (docs/protocol.md §6, Delivery and Retries). Enqueueing and the sender's actions are in outbox.ts.
 */
import type { JWK } from 'jose'
import type { Db } from './db.ts'
import type { OutboxRow } from './schema-mailbox.ts'
import { CorruptRowError } from './stored-values.ts'

/** The claimed outbox rows (the MTA claims by lease, then reads them). */
export async function outboxRowsByIds(db: Db, ids: readonly string[]): Promise<OutboxRow[]> {
  if (ids.length === 0) return []
  return db.selectFrom('outbox').selectAll().where('id', 'in', ids).execute()
}

/** A stored `dpop_key` column: the row's ephemeral DPoP key pair (RFC 9449 §2). */
export function storedDpopKey(
  text: string,
  where = 'a stored DPoP key',
): { privateJwk: JWK; publicJwk: JWK } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new CorruptRowError(`${where} is not JSON`, { cause })
  }
  const { privateJwk, publicJwk } = (value ?? {}) as { privateJwk?: unknown; publicJwk?: unknown }
  if (!isJwk(privateJwk) || !isJwk(publicJwk))
    throw new CorruptRowError(`${where} is not a pair of JWKs (privateJwk, publicJwk)`)
  return { privateJwk, publicJwk }
}

const isJwk = (v: unknown): v is JWK =>
  typeof v === 'object' && v !== null && typeof (v as { kty?: unknown }).kty === 'string'

/** How one delivery attempt of an outbox row ended. */
export type OutboxAttemptEnd =
  /** Every recipient answered (accepted or refused for good). */
  | { state: 'delivered' }
  | { state: 'failed'; error: string }
  /** Due again at `nextAttemptAt`; `delayNotified` when this attempt sent the sender a delay notice. */
  | { state: 'retry'; error: string; nextAttemptAt: number; delayNotified: boolean }

/** Records the end of an attempt and gives the lease back: delivered, failed for good, or due again later. */
export async function endOutboxAttempt(
  db: Db,
  row: { id: string; attempts: number },
  end: OutboxAttemptEnd,
  now: number,
): Promise<void> {
  const common = { lease_until: null, attempts: row.attempts + 1, updated_at: now }
  const values =
    end.state === 'delivered'
      ? { ...common, state: 'delivered' as const, last_error: null }
      : end.state === 'failed'
        ? { ...common, state: 'failed' as const, last_error: end.error }
        : {
            ...common,
            state: 'queued' as const,
            last_error: end.error,
            next_attempt_at: end.nextAttemptAt,
            ...(end.delayNotified ? { delay_notified: 1 } : {}),
          }
  await db.updateTable('outbox').set(values).where('id', '=', row.id).execute()
}

/**
 * Keeps an outbox row queued for some of its recipients only (the others were stored by the receiver,
 * e.g. the ones whose mailbox was not full).
 */
export async function narrowOutboxRecipients(db: Db, id: string, recipients: string[]): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ state: 'queued', recipients: JSON.stringify(recipients) })
    .where('id', '=', id)
    .execute()
}
