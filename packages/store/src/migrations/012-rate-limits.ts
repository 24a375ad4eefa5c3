import type { Kysely } from 'kysely'

/**
 * Rate-limit counters in the store, so every replica of a gateway shares them (issue 12 item 4): one row
 * per limiter key, `points` consumed in the window that ends at `expire_ms` (epoch milliseconds; NULL =
 * never). Rows are only removed once expired, never to make room: flooding cannot evict a key.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('expire_ms', 'bigint')
    .execute()
  await db.schema.createIndex('rate_limits_expire').on('rate_limits').column('expire_ms').execute()
}
