import type { Kysely } from 'kysely'

/**
 * Idempotency of deliveries keys on the verified origin domain of the chain (the domain of the original
 * From, whose AS signed hop 0) + Message-ID + recipient, and the hop's sender domain: a decoy from another
 * domain reusing a Message-ID can no longer suppress the real message (issue 12 item 5, docs/protocol.md §6).
 * The table is rebuilt (SQLite cannot drop a unique constraint); existing rows take the origin from their
 * stored copy's From, or the sender domain when the copy is gone. Schema builder only: dialect-neutral.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('inbound_deliveries_v2')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('origin_domain', 'text', (c) => c.notNull())
    .addColumn('sender_domain', 'text', (c) => c.notNull())
    .addColumn('message_id_header', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('assertion_digest', 'text', (c) => c.notNull())
    .addColumn('message_row_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('inbound_deliveries_origin_key', [
      'origin_domain',
      'message_id_header',
      'recipient',
      'sender_domain',
    ])
    .execute()
  const rows = await db
    .selectFrom('inbound_deliveries as d')
    .leftJoin('messages as m', 'm.id', 'd.message_row_id')
    .select([
      'd.id',
      'd.sender_domain',
      'd.message_id_header',
      'd.recipient',
      'd.assertion_digest',
      'd.message_row_id',
      'd.received_at',
      'm.from_address',
    ])
    .execute()
  for (let i = 0; i < rows.length; i += 200) {
    const batch = rows.slice(i, i + 200).map(({ from_address, ...r }) => {
      const at = typeof from_address === 'string' ? from_address.lastIndexOf('@') : -1
      return { ...r, origin_domain: at > 0 ? from_address.slice(at + 1).toLowerCase() : r.sender_domain }
    })
    await db.insertInto('inbound_deliveries_v2').values(batch).execute()
  }
  await db.schema.dropTable('inbound_deliveries').execute()
  await db.schema.alterTable('inbound_deliveries_v2').renameTo('inbound_deliveries').execute()
  // The AS finds a delivered message by Message-ID + assertion digest (fetch token exchange); the loop
  // check finds a copy by origin + Message-ID + recipient (the unique constraint's prefix).
  await db.schema
    .createIndex('inbound_deliveries_msgid')
    .on('inbound_deliveries')
    .columns(['message_id_header', 'assertion_digest'])
    .execute()
}
