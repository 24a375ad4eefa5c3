import { sql } from 'kysely'
import type { Db } from './db.ts'
import { dialectOf } from './dialect.ts'
import { indexHeadersPostgres, indexTextPostgres, removePostgres, tsConditions } from './search-postgres.ts'
import type { SearchQuery } from './search-query.ts'
import { allocateModseq } from './sync.ts'
import { inTransaction } from './tx.ts'

/**
 * Full-text search over subject, addresses and text parts: SQLite FTS5 here, PostgreSQL tsvector + GIN
 * in search-postgres.ts, behind the same functions. The index row key is the message's `seq` column;
 * the table is created by migration 005-message-fts.
 */

/**
 * Adds (or replaces) a message's subject and addresses in the index, and its text when the caller has
 * it already (`body`, cut as `indexMessageText` cuts it; empty until then).
 */
export async function indexMessageHeaders(
  db: Db,
  entry: { seq: number; subject: string; addresses: string; body?: string },
): Promise<void> {
  const body = indexBody(entry.body ?? '')
  if (dialectOf(db) === 'postgres') return indexHeadersPostgres(db, { ...entry, body })
  await sql`DELETE FROM message_fts WHERE rowid = ${entry.seq}`.execute(db)
  await sql`INSERT INTO message_fts (rowid, subject, addresses, body)
    VALUES (${entry.seq}, ${entry.subject}, ${entry.addresses}, ${body})`.execute(db)
}

/** The part of a message's text the index keeps (the first million characters). */
export function indexBody(text: string): string {
  return text.slice(0, 1_000_000)
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
    const body = indexBody(input.text)
    if (dialectOf(trx) === 'postgres') await indexTextPostgres(trx, row.seq, body)
    else await sql`UPDATE message_fts SET body = ${body} WHERE rowid = ${row.seq}`.execute(trx)
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
  if (dialectOf(db) === 'postgres') return removePostgres(db, seq)
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

/** A LIKE pattern matching `term` anywhere, with the wildcards in it escaped (ESCAPE '\\'). */
function contains(term: string): string {
  return `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/** The FTS5 expression of the free words and `subject:` terms, or undefined when there are none. */
export function ftsExpression(q: Pick<SearchQuery, 'words' | 'subject'>): string | undefined {
  const parts: string[] = []
  const words = toFtsQuery(q.words.join(' '))
  if (words) parts.push(words)
  for (const term of q.subject) {
    const tokens = toFtsQuery(term)?.replace(/\*$/, '')
    // One phrase per subject: term, its last word as a prefix (FTS5 column filter, "subject : …").
    if (tokens) parts.push(`subject : (${tokens.split(' ').join(' + ')}*)`)
  }
  return parts.length ? parts.join(' AND ') : undefined
}

/**
 * Message ids of the account matching the parsed query, newest first (as mail clients list results).
 * Free words and `subject:` go through the full-text index, walked in descending row id (= insertion
 * order) so SQLite stops after `limit` hits; the other operators are conditions on the message row.
 * `mailboxIds` restricts to folders (from `in:` or the current folder).
 */
export async function searchMessageIds(
  db: Db,
  input: { account: string; query: SearchQuery; mailboxIds?: string[]; limit: number },
): Promise<string[]> {
  const q = input.query
  const conditions = [sql`m.account = ${input.account}`]
  if (input.mailboxIds) {
    if (input.mailboxIds.length === 0) return []
    conditions.push(sql`m.mailbox_id IN (${sql.join(input.mailboxIds)})`)
  }
  for (const t of q.from) {
    conditions.push(
      sql`(lower(m.from_address) LIKE ${contains(t)} ESCAPE '\\' OR lower(coalesce(m.from_name, '')) LIKE ${contains(t)} ESCAPE '\\')`,
    )
  }
  for (const t of q.to) conditions.push(sql`lower(m.recipients) LIKE ${contains(t)} ESCAPE '\\'`)
  if (q.hasAttachment) conditions.push(sql`m.has_attachments = 1`)
  if (q.unread !== undefined) conditions.push(sql`m.seen = ${q.unread ? 0 : 1}`)
  if (q.starred) conditions.push(sql`m.keywords LIKE '%"$flagged"%'`)
  if (q.before !== undefined) conditions.push(sql`m.received_at < ${q.before}`)
  if (q.after !== undefined) conditions.push(sql`m.received_at >= ${q.after}`)
  if (dialectOf(db) === 'postgres') {
    const ts = tsConditions(q)
    if (ts.length === 0 && q.words.length + q.subject.length > 0) return []
    if (ts.length > 0) {
      const { rows } = await sql<{ id: string }>`
        SELECT m.id AS id FROM message_fts f JOIN messages m ON m.seq = f.seq
        WHERE ${sql.join([...ts, ...conditions], sql` AND `)}
        ORDER BY f.seq DESC LIMIT ${input.limit}`.execute(db)
      return rows.map((r) => r.id)
    }
  }
  const where = sql.join(conditions, sql` AND `)
  const fts = dialectOf(db) === 'postgres' ? undefined : ftsExpression(q)
  // Words that hold no letter or digit ("*(") match nothing, rather than dropping out of the query.
  if (!fts && q.words.length + q.subject.length > 0) return []
  if (fts) {
    const { rows } = await sql<{ id: string }>`
      SELECT m.id AS id FROM message_fts f JOIN messages m ON m.seq = f.rowid
      WHERE message_fts MATCH ${fts} AND ${where}
      ORDER BY f.rowid DESC LIMIT ${input.limit}`.execute(db)
    return rows.map((r) => r.id)
  }
  const { rows } = await sql<{ id: string }>`
    SELECT m.id AS id FROM messages m WHERE ${where}
    ORDER BY m.received_at DESC, m.id DESC LIMIT ${input.limit}`.execute(db)
  return rows.map((r) => r.id)
}
