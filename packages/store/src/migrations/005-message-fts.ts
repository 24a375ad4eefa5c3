import { type Kysely, sql } from 'kysely'

/**
 * The full-text index (SQLite FTS5) over subject, addresses and text parts; its row id is the message's
 * `seq`. Databases opened before this migration existed already have the table (it was created at open
 * time), hence IF NOT EXISTS.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5(
    subject, addresses, body, tokenize = 'unicode61 remove_diacritics 2'
  )`.execute(db)
}
