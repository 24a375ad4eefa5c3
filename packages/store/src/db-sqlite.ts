import Database from 'better-sqlite3'
import { Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely'
import { mapUnavailable, sqliteUnavailable } from './db-unavailable.ts'
import type { DatabaseSchema } from './schema.ts'
import { DEFAULT_LOCK_WAIT_MS, SqliteDriver } from './sqlite-driver.ts'

export interface SqliteOptions {
  /** How long a statement waits for another connection's write lock before it fails (default 5 s). */
  lockWaitMs?: number
}

/** The embedded store: one SQLite file in WAL mode. SQLite-only pragmas live here. */
export async function openSqlite(file: string, options: SqliteOptions = {}): Promise<Kysely<DatabaseSchema>> {
  const sqlite = new Database(file)
  sqlite.pragma('journal_mode = WAL')
  // Every commit is on disk before it returns: a delivery's 202, a send's answer and SMTP's 250 are
  // given after their commit, so a power loss cannot drop acknowledged mail (docs/operations.md,
  // "Durability"). In WAL mode FULL costs one fsync of the WAL per commit; NORMAL would defer it
  // to the checkpoint.
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('foreign_keys = ON')
  const driver = new SqliteDriver(sqlite, options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS)
  // A lock held by another connection past lockWaitMs is an outage of the moment (503), not a fault.
  return new Kysely<DatabaseSchema>({
    dialect: mapUnavailable(
      {
        createAdapter: () => new SqliteAdapter(),
        createDriver: () => driver,
        createIntrospector: (db) => new SqliteIntrospector(db),
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
      sqliteUnavailable,
    ),
  })
}
