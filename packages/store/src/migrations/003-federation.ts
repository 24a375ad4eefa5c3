import type { Kysely } from 'kysely'

/**
 * Federation area: accepted inbound deliveries (idempotency), the fetch and forward queues of the MTA,
 * and the DPoP `jti` replay cache of the federation endpoints. Portable DDL only. Frozen once shipped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('inbound_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sender_domain', 'text', (c) => c.notNull())
    .addColumn('message_id_header', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('assertion_digest', 'text', (c) => c.notNull())
    .addColumn('message_row_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('inbound_deliveries_key', ['sender_domain', 'message_id_header', 'recipient'])
    .execute()

  // The AS finds a delivered message by Message-ID + assertion digest (fetch token exchange).
  await db.schema
    .createIndex('inbound_deliveries_msgid')
    .on('inbound_deliveries')
    .columns(['message_id_header', 'assertion_digest'])
    .execute()
  // The origin finds the message it sent by Message-ID alone (fetch), across accounts.
  await db.schema.createIndex('messages_msgid').on('messages').column('message_id_header').execute()

  await db.schema
    .createTable('fetch_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('message_row_id', 'text', (c) => c.notNull())
    .addColumn('message_id_header', 'text', (c) => c.notNull())
    .addColumn('origin_domain', 'text', (c) => c.notNull())
    .addColumn('content_id', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('envelope', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_until', 'bigint')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('fetch_jobs_message_content', ['message_row_id', 'content_id'])
    .execute()
  await db.schema
    .createIndex('fetch_jobs_due')
    .on('fetch_jobs')
    .columns(['state', 'next_attempt_at'])
    .execute()

  await db.schema
    .createTable('forward_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('message_row_id', 'text', (c) => c.notNull())
    .addColumn('forward_to', 'text', (c) => c.notNull())
    .addColumn('placeholder', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_until', 'bigint')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('forward_jobs_message', ['message_row_id'])
    .execute()
  await db.schema
    .createIndex('forward_jobs_due')
    .on('forward_jobs')
    .columns(['state', 'next_attempt_at'])
    .execute()

  await db.schema
    .createTable('federation_replay')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('federation_replay_expiry')
    .on('federation_replay')
    .column('expires_at')
    .execute()
}
