import { type Kysely, sql } from 'kysely'
import { dialectOf } from '../dialect.ts'

/**
 * The full-text index over subject, addresses and text parts; its row key is the message's `seq`.
 * SQLite: an FTS5 table (databases opened before this migration existed already have it, hence
 * IF NOT EXISTS). PostgreSQL: a plain table whose tsvector columns are generated from the text the
 * search module stores (already folded and split into words, search.ts), each with a GIN index.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    await sql`CREATE TABLE message_fts (
      seq bigint PRIMARY KEY,
      subject text NOT NULL,
      addresses text NOT NULL,
      body text NOT NULL,
      subject_doc tsvector GENERATED ALWAYS AS (to_tsvector('simple', subject)) STORED,
      doc tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', subject || ' ' || addresses || ' ' || body)
      ) STORED
    )`.execute(db)
    await sql`CREATE INDEX message_fts_doc ON message_fts USING gin (doc)`.execute(db)
    await sql`CREATE INDEX message_fts_subject ON message_fts USING gin (subject_doc)`.execute(db)
    return
  }
  await sql`CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5(
    subject, addresses, body, tokenize = 'unicode61 remove_diacritics 2'
  )`.execute(db)
}
