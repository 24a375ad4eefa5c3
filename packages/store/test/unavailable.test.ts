import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { type Db, openDatabase } from '../src/db.ts'
import { DatabaseUnavailableError } from '../src/errors.ts'
import { startPostgres } from '../src/pg-cluster.ts'
import { inTransaction } from '../src/tx.ts'
import { testDialect } from './helpers.ts'

const select1 = (db: Db) => sql`SELECT 1 AS one`.execute(db)

// Issue 13: a database outage is one typed error, whatever the driver said, so every edge answers 503.
describe.runIf(testDialect === 'postgres')('PostgreSQL stopped under an open pool', () => {
  it('every query meets DatabaseUnavailableError (never a crash), and the same pool works once it is back', {
    timeout: 60_000,
  }, async () => {
    // A cluster of its own: the run's shared one must keep serving the other test files.
    const cluster = await startPostgres()
    const db = await openDatabase(await cluster.createDatabase('outage'), { migrate: true })
    try {
      await select1(db)
      // A transaction holding its connection between two statements when the server goes away: its client
      // gets an 'error' event, which used to be unhandled and end the process.
      const idleInTx = inTransaction(db, async (trx) => {
        await select1(trx)
        await new Promise((r) => setTimeout(r, 1500))
        await select1(trx)
      }).catch((e: unknown) => e)
      const running = sql`SELECT pg_sleep(10)`.execute(db).catch((e: unknown) => e)
      await new Promise((r) => setTimeout(r, 300))
      await cluster.pause()
      expect(await running).toBeInstanceOf(DatabaseUnavailableError)
      expect(await idleInTx).toBeInstanceOf(DatabaseUnavailableError)
      // Refused connections while it is down, for reads and for write transactions alike.
      const refused = await select1(db).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(DatabaseUnavailableError)
      expect((refused as DatabaseUnavailableError).code).toBe('unavailable')
      expect((refused as Error).message).toMatch(
        /unavailable right now; nothing was changed: retry in 5 seconds/,
      )
      expect(((refused as Error).cause as { code?: string }).code).toBe('ECONNREFUSED')
      await expect(inTransaction(db, (trx) => select1(trx))).rejects.toBeInstanceOf(DatabaseUnavailableError)
      await cluster.start()
      expect((await select1(db)).rows).toEqual([{ one: 1 }])
      // A query error that is not an outage passes unchanged.
      await expect(sql`SELECT * FROM no_such_table`.execute(db)).rejects.not.toBeInstanceOf(
        DatabaseUnavailableError,
      )
    } finally {
      await db.destroy()
      await cluster.stop()
    }
  })
})

describe.runIf(testDialect === 'sqlite')('SQLite locked by another process past lockWaitMs', () => {
  it('is DatabaseUnavailableError; other SQLite errors are not', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fz-busy-'))
    const file = path.join(dir, 'mail.sqlite')
    const db = await openDatabase(file, { lockWaitMs: 50 })
    const other = new Database(file)
    try {
      other.exec('BEGIN IMMEDIATE')
      const busy = await inTransaction(db, (trx) => select1(trx)).catch((e: unknown) => e)
      expect(busy).toBeInstanceOf(DatabaseUnavailableError)
      expect(((busy as Error).cause as { code?: string }).code).toMatch(/^SQLITE_BUSY/)
      other.exec('ROLLBACK')
      await inTransaction(db, (trx) => select1(trx))
      await expect(sql`SELECT * FROM no_such_table`.execute(db)).rejects.not.toBeInstanceOf(
        DatabaseUnavailableError,
      )
    } finally {
      other.close()
      await db.destroy()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
