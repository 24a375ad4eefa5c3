import { sql } from 'kysely'
import type { Db } from './db.ts'
import { dialectOf } from './dialect.ts'

/** PostgreSQL's codes for "run the transaction again": serialization_failure, deadlock_detected. */
const RETRYABLE = new Set(['40001', '40P01'])
/** Attempts side by side with other writers before a transaction asks to run alone. */
const SHARED_ATTEMPTS = 4
/** Attempts in all (a transaction running alone can still meet a single-statement write outside one). */
const ATTEMPTS = 10
/** The advisory lock key (any constant) that write transactions hold shared, and a starved one exclusive. */
const WRITERS = 0x46_5a_54_58

/**
 * Runs `fn` in the caller's transaction if there is one, otherwise in a new write transaction.
 *
 * SQLite: the store's driver begins every transaction IMMEDIATE, so it holds the write lock from its
 * start (a deferred one that read first could not write once another process had committed), waiting for
 * it off the event loop (sqlite-driver.ts). One writer at a time makes every transaction serializable.
 *
 * PostgreSQL: the same guarantee comes from SERIALIZABLE isolation, so writers of every replica run side
 * by side; one that lost a race is rolled back by the server (40001) and run again here. `fn` therefore
 * touches only the database (files are written before, answers sent after the transaction). So that a
 * transaction on a hot row (one account's modseq counter) cannot lose forever, each one holds an advisory
 * lock shared, taken before BEGIN; after SHARED_ATTEMPTS losses it takes that lock exclusively and runs
 * alone among transactions.
 */
export async function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db)
  if (dialectOf(db) === 'postgres') return inSerializable(db, fn)
  return db.transaction().execute(fn)
}

async function inSerializable<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const alone = attempt > SHARED_ATTEMPTS
    try {
      return await db.connection().execute(async (conn) => {
        if (alone) await sql`SELECT pg_advisory_lock(${WRITERS})`.execute(conn)
        else await sql`SELECT pg_advisory_lock_shared(${WRITERS})`.execute(conn)
        try {
          return await conn.transaction().setIsolationLevel('serializable').execute(fn)
        } finally {
          if (alone) await sql`SELECT pg_advisory_unlock(${WRITERS})`.execute(conn)
          else await sql`SELECT pg_advisory_unlock_shared(${WRITERS})`.execute(conn)
        }
      })
    } catch (e) {
      const code = (e as { code?: string }).code
      if (attempt >= ATTEMPTS || !code || !RETRYABLE.has(code)) throw e
      // Jittered, growing back-off so the contenders stop colliding.
      await new Promise((r) => setTimeout(r, Math.random() * 2 ** Math.min(attempt, 7)))
    }
  }
}

/** Seconds since the epoch. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000)
