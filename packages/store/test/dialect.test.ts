import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { type Db, dialectOf, migrateDatabase, openDatabase, SchemaBehindError } from '../src/db.ts'
import { saveDraft } from '../src/drafts.ts'
import { searchMessages } from '../src/message-list.ts'
import { getMessageRow, insertMessage } from '../src/messages.ts'
import { migrations } from '../src/migrations/index.ts'
import { createDatabase } from '../src/pg-cluster.ts'
import { indexMessageText } from '../src/search.ts'
import { placeholder, tempDb, testDialect } from './helpers.ts'

let db: Db
let location: string
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ db, location, cleanup } = await tempDb())
})
afterEach(async () => cleanup())

const alice = 'alice@example.com'

describe(`the ${testDialect} dialect`, () => {
  it('is the one this run asked for, with every migration applied', async () => {
    expect(dialectOf(db)).toBe(testDialect)
    expect(await migrateDatabase(location)).toEqual([])
    const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db)
    expect(rows.map((r) => r.name)).toEqual(Object.keys(migrations))
  })

  it('returns 64-bit columns and aggregates as numbers, beyond 32 bits', async () => {
    await db
      .insertInto('users')
      .values({
        account: alice,
        name: null,
        password_hash: 'x',
        disabled: 0,
        forward_policy: 'allowed',
        forward_domains: '[]',
        created_at: 1,
        updated_at: 1,
        quota_bytes: 10 * 1024 ** 3,
      })
      .execute()
    const row = await db.selectFrom('users').select('quota_bytes').executeTakeFirstOrThrow()
    expect(row.quota_bytes).toBe(10 * 1024 ** 3)
    const count = await db
      .selectFrom('users')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('quota_bytes').as('total')])
      .executeTakeFirstOrThrow()
    expect(count).toEqual({ n: 1, total: 10 * 1024 ** 3 })
  })

  it('finds words regardless of diacritics and case, address parts and prefixes, as FTS5 does', async () => {
    const m = await insertMessage(db, {
      account: alice,
      mailboxRole: 'inbox',
      placeholder: placeholder({
        from: 'Zoë <zoe.martin@café.example>',
        to: [alice],
        subject: 'Crème brûlée recipe',
        messageId: '<r1@x>',
      }),
    })
    await indexMessageText(db, { id: m.id, text: 'Caramelise the SUGAR with a blowtorch' })
    const ids = async (query: string) =>
      (await searchMessages(db, { account: alice, query, limit: 10 })).map((r) => r.id)
    for (const q of ['creme', 'BRULEE', 'brû', 'zoe', 'martin', 'cafe', 'caramelise sugar', 'blowt'])
      expect(await ids(q), q).toEqual([m.id])
    expect(await ids('subject:creme')).toEqual([m.id])
    expect(await ids('subject:sugar')).toEqual([])
    // Every word must match; only the last one is a prefix.
    expect(await ids('car sugar')).toEqual([])
    expect(await ids('sugar pudding')).toEqual([])
  })
})

describe(`text known at insert (${testDialect})`, () => {
  const ids = async (query: string) =>
    (await searchMessages(db, { account: alice, query, limit: 10 })).map((r) => r.id)

  it('a copy inserted with its text is found by it and previewed, as after indexMessageText', async () => {
    const m = await insertMessage(db, {
      account: alice,
      mailboxRole: 'inbox',
      placeholder: placeholder({
        from: 'bob@example.net',
        to: [alice],
        subject: 'Pushed',
        messageId: '<p1@x>',
      }),
      text: 'The  blowtorch\nrecipe',
    })
    expect(await ids('blowtorch')).toEqual([m.id])
    expect((await getMessageRow(db, alice, m.id)).preview).toBe('The blowtorch recipe')
    const late = await insertMessage(db, {
      account: alice,
      mailboxRole: 'inbox',
      placeholder: placeholder({
        from: 'bob@example.net',
        to: [alice],
        subject: 'Fetched',
        messageId: '<p2@x>',
      }),
    })
    expect((await getMessageRow(db, alice, late.id)).preview).toBe('')
    expect(await ids('fetched')).toEqual([late.id])
  })

  it('a replaced draft is found by its new text only, with the new preview', async () => {
    const draft = placeholder({ from: alice, to: ['bob@example.net'], subject: 'Plan', messageId: '<d1@x>' })
    const { id } = await saveDraft(db, { account: alice, placeholder: draft, text: 'first apricot' })
    expect(await ids('apricot')).toEqual([id])
    await saveDraft(db, { account: alice, id, placeholder: draft, text: 'second quince' })
    expect(await ids('apricot')).toEqual([])
    expect(await ids('quince')).toEqual([id])
    expect((await getMessageRow(db, alice, id)).preview).toBe('second quince')
  })
})

describe.runIf(testDialect === 'postgres')('a PostgreSQL schema that is behind', () => {
  it('is refused on open with the command that fixes it, until `federizer migrate` applied it', async () => {
    const url = await createDatabase(inject('postgresAdminUrl'), `fresh_${randomBytes(6).toString('hex')}`)
    const refused = await openDatabase(url).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(SchemaBehindError)
    expect(String((refused as Error).message)).toMatch(
      new RegExp(
        `${Object.keys(migrations).length} pending migrations: 001-mailbox, .*federizer migrate --config FILE`,
      ),
    )
    expect(await migrateDatabase(url)).toEqual(Object.keys(migrations))
    const opened = await openDatabase(url)
    expect(await opened.selectFrom('users').selectAll().execute()).toEqual([])
    await opened.destroy()
  })
})
