import type { Kysely } from 'kysely'
import { dialectOf } from '../dialect.ts'

/**
 * `small_resources`: resources up to 64 KiB kept in the database (the bodies of drafts, pushed deliveries
 * and SMTP mail, and fetched resources), written in the transaction of the row that names them, instead
 * of a file each (a new file, its fsync and its
 * rename cost more CPU than the rest of a small message's write; docs/benchmarks.md). Larger resources
 * and uploads stay files (resources.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('small_resources')
    .addColumn('content_id', 'text', (c) => c.primaryKey())
    .addColumn('bytes', dialectOf(db) === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('stored_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('small_resources_stored_at').on('small_resources').column('stored_at').execute()
}
