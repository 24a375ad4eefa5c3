import type { Db } from './db.ts'
import { nowSeconds } from './tx.ts'

/**
 * Sync in the JMAP "changes" model (RFC 8620 §5.2): every account has a modseq counter; each created,
 * updated or destroyed message or mailbox takes the next value. Live rows carry `created_modseq` and
 * `modseq`; destroyed ones leave a tombstone. Tombstones older than the horizon are pruned, after which a
 * client holding an older state gets `cannotCalculateChanges` and must resync.
 */

export type SyncChanges =
  | {
      kind: 'changes'
      created: string[]
      updated: string[]
      destroyed: string[]
      newState: string
      hasMore: boolean
      mailboxesChanged: boolean
    }
  | { kind: 'cannotCalculateChanges'; newState: string }

export class InvalidSyncStateError extends Error {
  override readonly name = 'InvalidSyncStateError'
  readonly code = 'invalid_state'
}

/**
 * Reserves `count` consecutive modseq values for `account` and returns the first.
 * Must run inside the write transaction that uses them.
 */
export async function allocateModseq(db: Db, account: string, count = 1): Promise<number> {
  const now = nowSeconds()
  // One upsert: a first allocation creates the row already counted.
  const row = await db
    .insertInto('account_state')
    .values({ account, modseq: count, horizon_modseq: 0, updated_at: now })
    .onConflict((oc) =>
      oc
        .column('account')
        .doUpdateSet((eb) => ({ modseq: eb('account_state.modseq', '+', count), updated_at: now })),
    )
    .returning('modseq')
    .executeTakeFirstOrThrow()
  return Number(row.modseq) - count + 1
}

/** The account's current state string: one primary-key lookup, cheap enough to poll. */
export async function getSyncState(db: Db, account: string): Promise<string> {
  const row = await db
    .selectFrom('account_state')
    .select('modseq')
    .where('account', '=', account)
    .executeTakeFirst()
  return String(row ? Number(row.modseq) : 0)
}

export function parseSyncState(state: string): number {
  if (!/^\d{1,15}$/.test(state))
    throw new InvalidSyncStateError(`"${state}" is not a sync state returned by sync.state`)
  return Number(state)
}

/**
 * Message ids created, updated and destroyed since `since`, at most `max` of them, oldest change first.
 * When more remain, `hasMore` is true and `newState` is an intermediate state to continue from.
 * @see RFC 8620 §5.2 (Foo/changes)
 */
export async function getChanges(db: Db, account: string, since: string, max: number): Promise<SyncChanges> {
  const sinceModseq = parseSyncState(since)
  const stateRow = await db
    .selectFrom('account_state')
    .select(['modseq', 'horizon_modseq'])
    .where('account', '=', account)
    .executeTakeFirst()
  const current = stateRow ? Number(stateRow.modseq) : 0
  const horizon = stateRow ? Number(stateRow.horizon_modseq) : 0
  if (sinceModseq > current)
    throw new InvalidSyncStateError(`state ${since} is newer than the account's state`)
  if (sinceModseq < horizon) return { kind: 'cannotCalculateChanges', newState: String(current) }
  if (sinceModseq === current) {
    return {
      kind: 'changes',
      created: [],
      updated: [],
      destroyed: [],
      newState: String(current),
      hasMore: false,
      mailboxesChanged: false,
    }
  }
  const live = await db
    .selectFrom('messages')
    .select(['id', 'created_modseq', 'modseq'])
    .where('account', '=', account)
    .where('modseq', '>', sinceModseq)
    .orderBy('modseq')
    .limit(max + 1)
    .execute()
  const dead = await db
    .selectFrom('tombstones')
    .select(['entity_id', 'created_modseq', 'modseq'])
    .where('account', '=', account)
    .where('entity', '=', 'message')
    .where('modseq', '>', sinceModseq)
    .orderBy('modseq')
    .limit(max + 1)
    .execute()
  type Entry = { id: string; created: number; modseq: number; destroyed: boolean }
  const merged: Entry[] = [
    ...live.map((r) => ({
      id: r.id,
      created: Number(r.created_modseq),
      modseq: Number(r.modseq),
      destroyed: false,
    })),
    ...dead.map((r) => ({
      id: r.entity_id,
      created: Number(r.created_modseq),
      modseq: Number(r.modseq),
      destroyed: true,
    })),
  ].sort((a, b) => a.modseq - b.modseq)
  const hasMore = merged.length > max
  const page = merged.slice(0, max)
  const upTo = hasMore ? (page[page.length - 1]?.modseq ?? sinceModseq) : current
  const created: string[] = []
  const updated: string[] = []
  const destroyed: string[] = []
  for (const e of page) {
    if (e.destroyed) {
      // Created and destroyed within the window: the client never saw it.
      if (e.created <= sinceModseq) destroyed.push(e.id)
    } else if (e.created > sinceModseq) created.push(e.id)
    else updated.push(e.id)
  }
  const mailboxChange = await db
    .selectFrom('mailboxes')
    .select('id')
    .where('account', '=', account)
    .where('modseq', '>', sinceModseq)
    .where('modseq', '<=', upTo)
    .limit(1)
    .executeTakeFirst()
  const mailboxGone = mailboxChange
    ? undefined
    : await db
        .selectFrom('tombstones')
        .select('entity_id')
        .where('account', '=', account)
        .where('entity', '=', 'mailbox')
        .where('modseq', '>', sinceModseq)
        .where('modseq', '<=', upTo)
        .limit(1)
        .executeTakeFirst()
  return {
    kind: 'changes',
    created,
    updated,
    destroyed,
    newState: String(upTo),
    hasMore,
    mailboxesChanged: Boolean(mailboxChange ?? mailboxGone),
  }
}

/** Records a destroyed entity so `getChanges` reports it. */
export async function addTombstone(
  db: Db,
  t: {
    account: string
    entity: 'message' | 'mailbox'
    entityId: string
    createdModseq: number
    modseq: number
  },
): Promise<void> {
  await db
    .insertInto('tombstones')
    .values({
      account: t.account,
      entity: t.entity,
      entity_id: t.entityId,
      created_modseq: t.createdModseq,
      modseq: t.modseq,
    })
    .execute()
}

/**
 * Forgets tombstones at or below `keepAbove` modseqs behind the current state for every account
 * (or all tombstones older than the given modseq distance), raising the horizon accordingly.
 */
export async function pruneTombstones(db: Db, options: { keepLast: number }): Promise<number> {
  const accounts = await db
    .selectFrom('account_state')
    .select(['account', 'modseq', 'horizon_modseq'])
    .execute()
  let pruned = 0
  for (const a of accounts) {
    const horizon = Number(a.modseq) - options.keepLast
    if (horizon <= Number(a.horizon_modseq)) continue
    const res = await db
      .deleteFrom('tombstones')
      .where('account', '=', a.account)
      .where('modseq', '<=', horizon)
      .executeTakeFirst()
    pruned += Number(res.numDeletedRows)
    await db
      .updateTable('account_state')
      .set({ horizon_modseq: horizon })
      .where('account', '=', a.account)
      .execute()
  }
  return pruned
}
