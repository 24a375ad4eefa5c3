import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { DatabaseSchema } from './schema.ts'

/**
 * node-postgres returns int8 and numeric as strings (they may exceed 2^53). Every such column here holds
 * seconds, milliseconds, byte counts or counters far below 2^53, and the SQLite dialect returns numbers:
 * both come back as numbers.
 */
const INT8 = 20
const NUMERIC = 1700
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format)
  },
}

/** A shared PostgreSQL database: one pool per process (kysely's PostgresDialect over node-postgres). */
export async function openPostgres(url: string, max = 10): Promise<Kysely<DatabaseSchema>> {
  const pool = new pg.Pool({ connectionString: url, max, types, connectionTimeoutMillis: 5000 })
  // An idle connection lost (server restarted, network cut) must not crash the process: the pool
  // drops it and the next query connects afresh, or fails with an error the caller turns into a 503.
  pool.on('error', () => undefined)
  return new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) })
}
