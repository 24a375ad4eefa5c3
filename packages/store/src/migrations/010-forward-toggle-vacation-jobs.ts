import type { Kysely } from 'kysely'

/**
 * Auto-forward gets an on/off switch that keeps the address (turning it off no longer clears it), and
 * the vacation auto-reply gets its queue: one job per received message that earned a reply, sent by the
 * MTA through the normal send path (RFC 3834).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('account_settings')
    .addColumn('auto_forward_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .execute()
  await db.schema
    .createTable('vacation_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('message_row_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_until', 'bigint')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('vacation_jobs_message', ['message_row_id'])
    .execute()
  await db.schema
    .createIndex('vacation_jobs_due')
    .on('vacation_jobs')
    .columns(['state', 'next_attempt_at'])
    .execute()
}
