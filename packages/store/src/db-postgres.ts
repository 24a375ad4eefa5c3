import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { mapUnavailable, postgresUnavailable } from './db-unavailable.ts'
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
  // A connection lost (server stopped or restarted, network cut) must not crash the process. An idle one
  // is reported on the pool; one checked out between two queries (inside a transaction) on its client,
  // where node-postgres throws an 'error' event nobody listens to. The pool drops such a client on
  // release, and the next query connects afresh or fails with DatabaseUnavailableError (a 503 at the edges).
  pool.on('error', () => undefined)
  pool.on('connect', (client) => client.on('error', () => undefined))
  return new Kysely<DatabaseSchema>({
    dialect: mapUnavailable(new PostgresDialect({ pool }), postgresUnavailable),
  })
}
