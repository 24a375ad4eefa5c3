import { sql } from 'kysely'
import type { Db } from './db.ts'

/**
 * Runs `fn` in the caller's transaction if there is one, otherwise in a new write transaction.
 *
 * The new transaction's first statement is a no-op UPDATE so it takes the write lock at once (the effect
 * of SQLite's BEGIN IMMEDIATE, which kysely cannot issue): a deferred transaction that reads first and
 * writes later fails with SQLITE_BUSY when another process (the gateway) committed in between, whereas a
 * writer waiting for the lock is covered by busy_timeout. Harmless on PostgreSQL.
 */
export async function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db)
  return db.transaction().execute(async (trx) => {
    await sql`UPDATE account_state SET updated_at = updated_at WHERE 1 = 0`.execute(trx)
    return fn(trx)
  })
}

/** Seconds since the epoch. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000)
