import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Db, openDatabase } from '../src/db.ts'
import { DatabaseUnavailableError } from '../src/errors.ts'
import { inTransaction } from '../src/tx.ts'
import { testDialect } from './helpers.ts'

const count = async (db: Db) =>
  Number((await sql<{ n: number }>`SELECT count(*) AS n FROM replay_cache`.execute(db)).rows[0]!.n)
const insert = (db: Db, key: string) =>
  sql`INSERT INTO replay_cache (key, expires_at) VALUES (${key}, 1)`.execute(db)

/** Milliseconds the event loop was stopped at most while `work` ran (a 1 ms timer's worst lateness). */
async function longestStall(work: Promise<unknown>): Promise<number> {
  let worst = 0
  let last = performance.now()
  const timer = setInterval(() => {
    const t = performance.now()
    worst = Math.max(worst, t - last)
    last = t
  }, 1)
  try {
    await work
  } finally {
    clearInterval(timer)
  }
  return Math.max(worst, performance.now() - last)
}

// sqlite-driver.ts: a write that meets another connection's lock waits by a timer, never in the busy handler.
describe.runIf(testDialect === 'sqlite')('SQLite: waiting for another connection’s write lock', () => {
  let dir: string
  let file: string
  let db: Db
  let other: Database.Database
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'fz-lock-'))
    file = path.join(dir, 'mail.sqlite')
    db = await openDatabase(file)
    other = new Database(file, { timeout: 0 })
  })
  afterEach(async () => {
    other.close()
    await db.destroy()
    await rm(dir, { recursive: true, force: true })
  })

  it('a transaction and a single write wait for the lock with the event loop running, then go through', async () => {
    other.exec('BEGIN IMMEDIATE')
    const release = setTimeout(() => other.exec('COMMIT'), 300)
    const started = performance.now()
    const work = Promise.all([
      inTransaction(db, (trx) => insert(trx, 'in-a-transaction')),
      insert(db, 'on-its-own'),
    ])
    const stall = await longestStall(work)
    clearTimeout(release)
    // Held for 300 ms by the other connection: waited that long, but the loop never stopped for 50 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
    expect(stall).toBeLessThan(50)
    expect(await count(db)).toBe(2)
  })

  it('a transaction holds the lock from its start: the other connection cannot write in between', async () => {
    const seen: string[] = []
    await inTransaction(db, async (trx) => {
      await insert(trx, 'first')
      // Between two statements of the open transaction, the other connection is refused at once.
      expect(() => other.prepare(`INSERT INTO replay_cache (key, expires_at) VALUES ('x', 1)`).run()).toThrow(
        /locked|busy/i,
      )
      seen.push('refused')
      await insert(trx, 'second')
    })
    expect(seen).toEqual(['refused'])
    expect(await count(db)).toBe(2)
  })

  it('two connections of one process interleave their transactions without deadlock', async () => {
    const second = await openDatabase(file)
    try {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          inTransaction(i % 2 ? db : second, async (trx) => {
            await insert(trx, `k${i}`)
            await new Promise((r) => setTimeout(r, 2))
            await insert(trx, `k${i}-again`)
          }),
        ),
      )
      expect(await count(db)).toBe(40)
    } finally {
      await second.destroy()
    }
  })

  it('a lock held past lockWaitMs is DatabaseUnavailableError, and nothing was written', async () => {
    const short = await openDatabase(file, { lockWaitMs: 100 })
    try {
      other.exec('BEGIN IMMEDIATE')
      const started = performance.now()
      const failed = await inTransaction(short, (trx) => insert(trx, 'late')).catch((e: unknown) => e)
      expect(failed).toBeInstanceOf(DatabaseUnavailableError)
      expect(performance.now() - started).toBeGreaterThanOrEqual(95)
      await expect(insert(short, 'late too')).rejects.toBeInstanceOf(DatabaseUnavailableError)
      other.exec('ROLLBACK')
      expect(await count(short)).toBe(0)
      // The connection is usable again once the lock is gone.
      await inTransaction(short, (trx) => insert(trx, 'now'))
      expect(await count(short)).toBe(1)
    } finally {
      await short.destroy()
    }
  })

  it('a failed transaction rolls back whole', async () => {
    await expect(
      inTransaction(db, async (trx) => {
        await insert(trx, 'kept?')
        await insert(trx, 'kept?')
      }),
    ).rejects.toThrow(/UNIQUE/)
    expect(await count(db)).toBe(0)
    await insert(db, 'after')
    expect(await count(db)).toBe(1)
  })
})
