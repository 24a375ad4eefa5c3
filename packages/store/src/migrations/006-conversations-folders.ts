import type { Kysely } from 'kysely'

/**
 * Conversations and nested folders: the index that groups a mailbox by thread (message.threads), a
 * folder's parent, and the "group by conversation" setting (on unless the user turns it off).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('messages_mailbox_thread')
    .on('messages')
    .columns(['account', 'mailbox_id', 'thread_id', 'received_at'])
    .execute()
  await db.schema.alterTable('mailboxes').addColumn('parent_id', 'text').execute()
  await db.schema
    .alterTable('account_settings')
    .addColumn('conversation_view', 'integer', (c) => c.notNull().defaultTo(1))
    .execute()
}
