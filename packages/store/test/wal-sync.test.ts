import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, walSyncsOf } from '../src/db.ts'
import { SqliteDriver } from '../src/sqlite-driver.ts'
import { WalSync } from '../src/wal-sync.ts'
import { testDialect } from './helpers.ts'

/** An fsync the test lets finish: each call is recorded with the WAL's size when it began. */
function heldSyncs(walFile: string) {
  const calls: { walBytes: number; finish(error?: Error): void }[] = []
  const walSync = new WalSync(walFile, async () => {
    const walBytes = (await stat(walFile)).size
    await new Promise<void>((resolve, reject) =>
      calls.push({ walBytes, finish: (error) => (error ? reject(error) : resolve()) }),
    )
  })
  return { walSync, calls }
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2))
  expect(cond()).toBe(true)
}

/** Settles `p` into a flag, so a test can see whether it resolved yet. */
function track(p: Promise<unknown>) {
  const state = { done: false, error: undefined as unknown }
  p.then(
    () => {
      state.done = true
    },
    (e: unknown) => {
      state.done = true
      state.error = e
    },
  )
  return state
}

// wal-sync.ts, sqlite-driver.ts: a commit is answered only after an fsync of the WAL that began after it.
describe.runIf(testDialect === 'sqlite')(
  'SQLite: commits wait for an fsync of the WAL, off the event loop',
  () => {
    let dir: string
    let file: string
    let sqlite: Database.Database
    let db: Kysely<{ t: { k: string } }>
    let held: ReturnType<typeof heldSyncs>
    beforeEach(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'fz-wal-'))
      file = path.join(dir, 'mail.sqlite')
      sqlite = new Database(file)
      sqlite.pragma('journal_mode = WAL')
      sqlite.pragma('synchronous = NORMAL')
      sqlite.exec('CREATE TABLE t (k TEXT PRIMARY KEY)')
      held = heldSyncs(`${file}-wal`)
      const driver = new SqliteDriver(sqlite, 5000, { walSync: held.walSync })
      db = new Kysely({
        dialect: {
          createAdapter: () => new SqliteAdapter(),
          createDriver: () => driver,
          createIntrospector: (k) => new SqliteIntrospector(k),
          createQueryCompiler: () => new SqliteQueryCompiler(),
        },
      })
    })
    afterEach(async () => {
      for (const c of held.calls) c.finish()
      await db.destroy()
      await rm(dir, { recursive: true, force: true })
    })
    const insert = (d: Kysely<{ t: { k: string } }>, k: string) => d.insertInto('t').values({ k }).execute()

    it('a transaction resolves after its fsync; commits made during that fsync share the next one', async () => {
      const first = track(db.transaction().execute((trx) => insert(trx, 'a')))
      await until(() => held.calls.length === 1)
      // Committed (another connection sees it) but not yet answered: its fsync is running.
      expect(new Database(file).prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 })
      expect(first.done).toBe(false)
      // Meanwhile a transaction, a lone write and an UPDATE … RETURNING commit, and a read runs.
      const second = track(db.transaction().execute((trx) => insert(trx, 'b')))
      const lone = track(insert(db, 'c'))
      const returning = track(sql`UPDATE t SET k = 'c2' WHERE k = 'c' RETURNING k`.execute(db))
      const read = await db.selectFrom('t').select('k').execute()
      expect(read.length).toBeGreaterThanOrEqual(1)
      await until(() => second.done === false && sqliteCount(file) === 3)
      await new Promise((r) => setTimeout(r, 20))
      // The fsync running began before they committed: it cannot count for them.
      expect([first.done, second.done, lone.done, returning.done]).toEqual([false, false, false, false])
      expect(held.calls).toHaveLength(1)
      held.calls[0]!.finish()
      await until(() => first.done)
      expect(second.done || lone.done || returning.done).toBe(false)
      // One more fsync for all three, begun after their frames were written.
      await until(() => held.calls.length === 2)
      const walAfter = (await stat(`${file}-wal`)).size
      expect(held.calls[1]!.walBytes).toBe(walAfter)
      expect(held.calls[1]!.walBytes).toBeGreaterThan(held.calls[0]!.walBytes)
      held.calls[1]!.finish()
      await until(() => second.done && lone.done && returning.done)
      expect([first.error, second.error, lone.error, returning.error]).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ])
      expect(held.walSync.syncs).toBe(2)
    })

    it('reads and a rolled-back transaction wait for no fsync', async () => {
      await db.selectFrom('t').selectAll().execute()
      await expect(
        db.transaction().execute(async (trx) => {
          await insert(trx, 'x')
          throw new Error('changed my mind')
        }),
      ).rejects.toThrow('changed my mind')
      expect(held.calls).toHaveLength(0)
      expect(sqliteCount(file)).toBe(0)
    })

    it('an fsync that fails fails its commits and every later one (the process must restart)', async () => {
      const first = track(insert(db, 'a'))
      await until(() => held.calls.length === 1)
      held.calls[0]!.finish(new Error('EIO: i/o error, fsync'))
      await until(() => first.done)
      expect(String(first.error)).toMatch(/write-ahead log could not be synced to disk: Error: EIO/)
      await expect(insert(db, 'b')).rejects.toThrow(/could not be synced/)
      expect(held.calls).toHaveLength(1)
    })
  },
)

const sqliteCount = (file: string) => {
  const other = new Database(file)
  try {
    return (other.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n
  } finally {
    other.close()
  }
}

describe.runIf(testDialect === 'sqlite')('the store’s SQLite file', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'fz-wal-'))
  })
  afterEach(async () => rm(dir, { recursive: true, force: true }))

  it('commits with NORMAL and its own fsyncs (a 64 MiB page cache), fewer than its commits when they come together', async () => {
    const db = await openDatabase(path.join(dir, 'mail.sqlite'))
    try {
      const mode = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db)
      expect(mode.rows[0]?.synchronous).toBe(1)
      const cache = await sql<{ cache_size: number }>`PRAGMA cache_size`.execute(db)
      expect(cache.rows[0]?.cache_size).toBe(-65536)
      const before = walSyncsOf(db)!
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          db
            .transaction()
            .execute((trx) =>
              sql`INSERT INTO replay_cache (key, expires_at) VALUES (${`k${i}`}, 1)`.execute(trx),
            ),
        ),
      )
      const syncs = walSyncsOf(db)! - before
      expect(syncs).toBeGreaterThanOrEqual(1)
      expect(syncs).toBeLessThan(40)
    } finally {
      await db.destroy()
    }
  })

  it('a database in memory keeps SQLite’s FULL and has no WAL to sync', async () => {
    const db = await openDatabase(':memory:')
    try {
      const mode = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db)
      expect(mode.rows[0]?.synchronous).toBe(2)
      expect(walSyncsOf(db)).toBeUndefined()
    } finally {
      await db.destroy()
    }
  })
})
