import { sql } from 'kysely'
import type { Db } from './db.ts'
import { allocateModseq } from './sync.ts'
import { inTransaction } from './tx.ts'

/**
 * Full-text search over subject, addresses and text parts with SQLite FTS5. This is the only module
 * with SQLite-specific SQL; a PostgreSQL deployment replaces it (tsvector) behind the same functions.
 * The index row id is the message's `seq` column; the table is created by migration 005-message-fts.
 */

/** Adds (or replaces) a message's subject and addresses in the index. */
export async function indexMessageHeaders(
  db: Db,
  entry: { seq: number; subject: string; addresses: string },
): Promise<void> {
  await sql`DELETE FROM message_fts WHERE rowid = ${entry.seq}`.execute(db)
  await sql`INSERT INTO message_fts (rowid, subject, addresses, body)
    VALUES (${entry.seq}, ${entry.subject}, ${entry.addresses}, '')`.execute(db)
}

/**
 * Indexes a message's text once its text part is available (own mail at send, received mail when the
 * fetcher stores it) and refreshes the list preview. Bumps the account's state: the preview changed.
 */
export async function indexMessageText(db: Db, input: { id: string; text: string }): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom('messages')
      .select(['seq', 'account'])
      .where('id', '=', input.id)
      .executeTakeFirst()
    if (!row) return
    const body = input.text.slice(0, 1_000_000)
    await sql`UPDATE message_fts SET body = ${body} WHERE rowid = ${row.seq}`.execute(trx)
    const modseq = await allocateModseq(trx, row.account)
    await trx
      .updateTable('messages')
      .set({ preview: makePreview(body), modseq })
      .where('id', '=', input.id)
      .execute()
  })
}

export function makePreview(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200)
}

export async function removeFromIndex(db: Db, seq: number): Promise<void> {
  await sql`DELETE FROM message_fts WHERE rowid = ${seq}`.execute(db)
}

/** Turns what a person types into an FTS5 query: every word must match, the last one as a prefix. */
export function toFtsQuery(input: string): string | undefined {
  const words = input
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}@._+-]+/u)
    .map((w) => w.replace(/^[._+-]+|[._+-]+$/g, ''))
    .filter((w) => w.length > 0)
    .slice(0, 16)
  if (words.length === 0) return undefined
  return words.map((w, i) => `"${w.replace(/"/g, '""')}"${i === words.length - 1 ? '*' : ''}`).join(' ')
}

/**
 * Message ids of the account matching `query`, newest first (as mail clients list results). Walking the
 * index in descending row id (= insertion order) lets SQLite stop after `limit` hits of this account
 * instead of ranking every match.
 */
export async function searchMessageIds(
  db: Db,
  input: { account: string; query: string; mailboxId?: string; limit: number },
): Promise<string[]> {
  const fts = toFtsQuery(input.query)
  if (!fts) return []
  const mailboxFilter = input.mailboxId ? sql`AND m.mailbox_id = ${input.mailboxId}` : sql``
  const { rows } = await sql<{ id: string }>`
    SELECT m.id AS id FROM message_fts f JOIN messages m ON m.seq = f.rowid
    WHERE message_fts MATCH ${fts} AND m.account = ${input.account} ${mailboxFilter}
    ORDER BY f.rowid DESC LIMIT ${input.limit}`.execute(db)
  return rows.map((r) => r.id)
}
