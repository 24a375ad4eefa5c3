import Database from 'better-sqlite3'
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import { deleteMessages, insertMessage } from '../src/messages.ts'
import { migrations } from '../src/migrations/index.ts'
import { accountUsage, quotaOf } from '../src/quota.ts'
import type { DatabaseSchema } from '../src/schema.ts'
import { recordUpload } from '../src/uploads.ts'
import { cid, placeholder, tempDb } from './helpers.ts'

const alice = 'alice@example.com'
const bob = 'bob@example.com'

/** What the usage is by definition: the sum over the account's message rows. */
const summed = async (db: Db, account: string) =>
  Number(
    (
      await sql<{
        n: number
      }>`SELECT coalesce(sum(size), 0) AS n FROM messages WHERE account = ${account}`.execute(db)
    ).rows[0]!.n,
  )

const deliver = (db: Db, account: string, n: number, attachment?: string) =>
  insertMessage(db, {
    account,
    mailboxRole: 'inbox',
    placeholder: placeholder({
      from: 'carol@example.org',
      to: [account],
      subject: `message ${n}`,
      messageId: `<m${n}.${account}@example.org>`,
      text: `text of message ${n}`,
      ...(attachment ? { attachment: { bytes: attachment, filename: 'a.pdf' } } : {}),
    }),
    contentState: 'complete',
  })

describe('account usage (the quota every delivery checks)', () => {
  let t: Awaited<ReturnType<typeof tempDb>>
  beforeEach(async () => {
    t = await tempDb()
  })
  afterEach(async () => {
    await t.cleanup()
  })

  it('follows every message stored, moved to Trash and destroyed, per account', async () => {
    expect(await accountUsage(t.db, alice)).toBe(0)
    const a1 = await deliver(t.db, alice, 1, 'x'.repeat(5000))
    const a2 = await deliver(t.db, alice, 2)
    await deliver(t.db, bob, 3)
    const aliceBytes = await summed(t.db, alice)
    expect(aliceBytes).toBeGreaterThan(5000)
    expect(await accountUsage(t.db, alice)).toBe(aliceBytes)
    expect(await accountUsage(t.db, 'Alice@Example.COM')).toBe(aliceBytes)
    expect(await accountUsage(t.db, bob)).toBe(await summed(t.db, bob))

    // Trash still counts; destroyed copies no longer do.
    await deleteMessages(t.db, alice, [a1.id])
    expect(await accountUsage(t.db, alice)).toBe(aliceBytes)
    await deleteMessages(t.db, alice, [a1.id])
    expect(await accountUsage(t.db, alice)).toBe(await summed(t.db, alice))
    expect(await accountUsage(t.db, alice)).toBeLessThan(aliceBytes - 5000)
    await deleteMessages(t.db, alice, [a2.id])
    await deleteMessages(t.db, alice, [a2.id])
    expect(await accountUsage(t.db, alice)).toBe(0)
    expect(await accountUsage(t.db, bob)).toBe(await summed(t.db, bob))
  })

  it('adds the uploads no message of the account names yet, and the quota around it', async () => {
    const now = Math.floor(Date.now() / 1000)
    await recordUpload(t.db, {
      account: alice,
      contentId: cid('pending'),
      size: 700,
      mediaType: 'text/plain',
      now,
    })
    expect(await accountUsage(t.db, alice)).toBe(700)
    // An upload a stored message names is counted once, in the message.
    await recordUpload(t.db, {
      account: alice,
      contentId: cid('y'.repeat(3000)),
      size: 3000,
      mediaType: 'application/pdf',
      now,
    })
    await deliver(t.db, alice, 4, 'y'.repeat(3000))
    expect(await accountUsage(t.db, alice)).toBe((await summed(t.db, alice)) + 700)
    expect(await quotaOf(t.db, alice, 10_000_000)).toEqual({
      usedBytes: (await summed(t.db, alice)) + 700,
      quotaBytes: 10_000_000,
    })
  })
})

describe('migration 016: account usage of the messages already stored', () => {
  it('is filled from the existing rows, then kept by the triggers', async () => {
    const db = new Kysely<DatabaseSchema>({
      dialect: new SqliteDialect({ database: new Database(':memory:') }),
    })
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
    try {
      expect((await migrator.migrateTo('015-drop-federation-replay')).error).toBeUndefined()
      await deliver(db, alice, 1, 'z'.repeat(4000))
      await deliver(db, alice, 2)
      await deliver(db, bob, 3)
      expect((await migrator.migrateToLatest()).error).toBeUndefined()
      expect(await accountUsage(db, alice)).toBe(await summed(db, alice))
      expect(await accountUsage(db, bob)).toBe(await summed(db, bob))
      await deliver(db, alice, 5)
      expect(await accountUsage(db, alice)).toBe(await summed(db, alice))
    } finally {
      await db.destroy()
    }
  })
})
