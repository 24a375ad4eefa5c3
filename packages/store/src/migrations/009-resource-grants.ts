import { type Kysely, sql } from 'kysely'
import { dialectOf } from '../dialect.ts'

/**
 * A reference keeps a resource alive; only a `readable` one lets its account read it
 * (docs/protocol.md §6, "Who may read a resource"). Received copies become readable when their own fetch
 * completes; outbox rows only keep bytes alive for the recipients' fetches.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('resource_refs')
    .addColumn('readable', 'integer', (c) => c.notNull().defaultTo(1))
    .execute()
  // The fetcher looks for a completed fetch of the same delivery, and per message for open jobs.
  // (On PostgreSQL an index shares its name space with 003's unique constraint of the same name.)
  await db.schema
    .createIndex(dialectOf(db) === 'postgres' ? 'fetch_jobs_msgid_content' : 'fetch_jobs_message_content')
    .on('fetch_jobs')
    .columns(['message_id_header', 'content_id'])
    .execute()
  await db.schema.createIndex('fetch_jobs_row').on('fetch_jobs').column('message_row_id').execute()
  await db.updateTable('resource_refs').set({ readable: 0 }).where('owner_kind', '=', 'outbox').execute()
  // A received copy (it carries a chain verification) is readable only where its own fetch job is done.
  await sql`
    UPDATE resource_refs SET readable = 0
    WHERE owner_kind = 'message'
      AND owner_id IN (SELECT id FROM messages WHERE chain_verification IS NOT NULL)
      AND NOT EXISTS (
        SELECT 1 FROM fetch_jobs f
        WHERE f.message_row_id = resource_refs.owner_id
          AND f.content_id = resource_refs.content_id
          AND f.state = 'done'
      )`.execute(db)
}
