import Database from 'better-sqlite3'
import { Kysely, Migrator, SqliteDialect } from 'kysely'
import { describe, expect, it } from 'vitest'
import { insertMessage } from '../src/messages.ts'
import { migrations } from '../src/migrations/index.ts'
import type { DatabaseSchema } from '../src/schema.ts'
import { placeholder } from './helpers.ts'

describe('migration 011: the origin domain of existing inbound deliveries (issue 12 item 5)', () => {
  it("takes it from the stored copy's From, or the sender domain when the copy is gone", async () => {
    const db = new Kysely<DatabaseSchema>({
      dialect: new SqliteDialect({ database: new Database(':memory:') }),
    })
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
    try {
      expect((await migrator.migrateTo('010-forward-toggle-vacation-jobs')).error).toBeUndefined()
      const { id } = await insertMessage(db, {
        account: 'bob@example.net',
        mailboxRole: 'inbox',
        placeholder: placeholder({
          from: 'Alice@Example.com',
          to: ['bob@example.net'],
          subject: 'hi',
          messageId: '<m@example.com>',
        }),
        contentState: 'complete',
      })
      const row = (n: string, messageRowId: string, recipient = 'bob@example.net') => ({
        id: `in_${n}`,
        sender_domain: 'example.org',
        message_id_header: '<m@example.com>',
        recipient,
        assertion_digest: n,
        message_row_id: messageRowId,
        received_at: 1,
      })
      // Rows as migration 003 wrote them: no origin_domain yet.
      await db
        .insertInto('inbound_deliveries')
        .values([row('a', id), row('b', 'gone', 'carol@example.net')] as never)
        .execute()
      expect((await migrator.migrateToLatest()).error).toBeUndefined()
      const rows = await db
        .selectFrom('inbound_deliveries')
        .select(['id', 'origin_domain', 'sender_domain'])
        .orderBy('id')
        .execute()
      expect(rows).toEqual([
        { id: 'in_a', origin_domain: 'example.com', sender_domain: 'example.org' },
        { id: 'in_b', origin_domain: 'example.org', sender_domain: 'example.org' },
      ])
      // The new key: the same Message-ID from another origin is another row.
      await db
        .insertInto('inbound_deliveries')
        .values({ ...row('c', id), origin_domain: 'attacker.example' })
        .execute()
      await expect(
        db
          .insertInto('inbound_deliveries')
          .values({ ...row('d', id), origin_domain: 'example.com' })
          .execute(),
      ).rejects.toThrow(/UNIQUE/)
    } finally {
      await db.destroy()
    }
  })
})
