import type { Kysely } from 'kysely'

/**
 * The settings a person edits in the webmail: client preferences (one JSON document), blocked senders,
 * the vacation auto-reply and the log of who already got one (RFC 3834 §2: once per sender per period).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('account_settings').addColumn('prefs', 'text').execute()
  await db.schema.alterTable('account_settings').addColumn('vacation', 'text').execute()
  await db.schema
    .createTable('blocked_senders')
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('blocked_senders_pk', ['account', 'address'])
    .execute()
  await db.schema
    .createTable('vacation_replies')
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('replied_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('vacation_replies_pk', ['account', 'sender'])
    .execute()
}
