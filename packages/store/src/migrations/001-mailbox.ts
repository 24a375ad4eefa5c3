import type { Kysely } from 'kysely'

/**
 * The mailbox area: accounts' sync counters, mailboxes, message copies, tombstones, resource references,
 * uploads, delivery status, the outbox, settings and contacts. Portable DDL only (SQLite and PostgreSQL);
 * the full-text index is created by search.ts, the one SQLite-specific module.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('account_state')
    .addColumn('account', 'text', (c) => c.primaryKey())
    .addColumn('modseq', 'bigint', (c) => c.notNull())
    .addColumn('horizon_modseq', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('mailboxes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text')
    .addColumn('sort_order', 'integer', (c) => c.notNull())
    .addColumn('created_modseq', 'bigint', (c) => c.notNull())
    .addColumn('modseq', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('mailboxes_account_name', ['account', 'name'])
    .addUniqueConstraint('mailboxes_account_role', ['account', 'role'])
    .execute()
  await db.schema
    .createIndex('mailboxes_account_modseq')
    .on('mailboxes')
    .columns(['account', 'modseq'])
    .execute()

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('mailbox_id', 'text', (c) => c.notNull().references('mailboxes.id'))
    .addColumn('previous_mailbox_id', 'text')
    .addColumn('placeholder', 'text', (c) => c.notNull())
    .addColumn('keywords', 'text', (c) => c.notNull())
    .addColumn('seen', 'integer', (c) => c.notNull())
    .addColumn('thread_id', 'text', (c) => c.notNull())
    .addColumn('message_id_header', 'text', (c) => c.notNull())
    .addColumn('in_reply_to', 'text')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('from_address', 'text', (c) => c.notNull())
    .addColumn('from_name', 'text')
    .addColumn('recipients', 'text', (c) => c.notNull())
    .addColumn('preview', 'text', (c) => c.notNull())
    .addColumn('has_attachments', 'integer', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('content_state', 'text', (c) => c.notNull())
    .addColumn('content_reason', 'text')
    .addColumn('chain_verification', 'text')
    .addColumn('draft_backup', 'text')
    .addColumn('seq', 'bigint', (c) => c.notNull().unique())
    .addColumn('created_modseq', 'bigint', (c) => c.notNull())
    .addColumn('modseq', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('messages_list')
    .on('messages')
    .columns(['mailbox_id', 'received_at', 'id'])
    .execute()
  // Covers mailbox.list's per-mailbox total / unread counts without reading message rows.
  await db.schema
    .createIndex('messages_account_counts')
    .on('messages')
    .columns(['account', 'mailbox_id', 'seen'])
    .execute()
  await db.schema
    .createIndex('messages_account_modseq')
    .on('messages')
    .columns(['account', 'modseq'])
    .execute()
  await db.schema
    .createIndex('messages_account_thread')
    .on('messages')
    .columns(['account', 'thread_id'])
    .execute()
  await db.schema
    .createIndex('messages_account_msgid')
    .on('messages')
    .columns(['account', 'message_id_header'])
    .execute()

  await db.schema
    .createTable('tombstones')
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('created_modseq', 'bigint', (c) => c.notNull())
    .addColumn('modseq', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('tombstones_pk', ['account', 'modseq'])
    .execute()

  await db.schema
    .createTable('resource_refs')
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('content_id', 'text', (c) => c.notNull())
    .addColumn('owner_kind', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('keep_until', 'bigint')
    .addPrimaryKeyConstraint('resource_refs_pk', ['owner_kind', 'owner_id', 'content_id'])
    .execute()
  await db.schema
    .createIndex('resource_refs_account_content')
    .on('resource_refs')
    .columns(['account', 'content_id'])
    .execute()
  await db.schema.createIndex('resource_refs_content').on('resource_refs').columns(['content_id']).execute()

  await db.schema
    .createTable('uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('content_id', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('filename', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('uploads_account_content')
    .on('uploads')
    .columns(['account', 'content_id'])
    .execute()
  await db.schema.createIndex('uploads_created').on('uploads').columns(['created_at']).execute()

  await db.schema
    .createTable('delivery_status')
    .addColumn('message_row_id', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('delivery_status_pk', ['message_row_id', 'recipient'])
    .execute()

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('message_row_id', 'text', (c) => c.notNull())
    .addColumn('recipient_domain', 'text', (c) => c.notNull())
    .addColumn('recipients', 'text', (c) => c.notNull())
    .addColumn('placeholder', 'text', (c) => c.notNull())
    .addColumn('dpop_key', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_until', 'bigint')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('delay_notified', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('outbox_due').on('outbox').columns(['state', 'next_attempt_at']).execute()
  await db.schema.createIndex('outbox_message').on('outbox').columns(['message_row_id']).execute()

  await db.schema
    .createTable('account_settings')
    .addColumn('account', 'text', (c) => c.primaryKey())
    .addColumn('auto_forward', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('contacts')
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('use_count', 'integer', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('contacts_pk', ['account', 'address'])
    .execute()
}
