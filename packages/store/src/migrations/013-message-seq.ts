import { type Kysely, sql } from 'kysely'
import { dialectOf } from '../dialect.ts'

/**
 * PostgreSQL: message `seq` values come from a sequence, so concurrent deliveries on several replicas
 * do not all read (and conflict on) max(seq). SQLite keeps max + 1 under its single writer: nothing to do.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (dialectOf(db) !== 'postgres') return
  await sql`CREATE SEQUENCE message_seq`.execute(db)
  await sql`SELECT setval('message_seq', (SELECT max(seq) FROM messages)) WHERE EXISTS (SELECT 1 FROM messages)`.execute(
    db,
  )
}
