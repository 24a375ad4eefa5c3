import type { Kysely } from 'kysely'
import { openPostgres } from './db-postgres.ts'
import { openSqlite } from './db-sqlite.ts'
import { type Dialect, isPostgresUrl } from './dialect.ts'
import { migrate, schemaBehind } from './migrate.ts'
import type { DatabaseSchema } from './schema.ts'

export type Db = Kysely<DatabaseSchema>

export { walCheckpointerOf, walSyncsOf } from './db-sqlite.ts'
export { type Dialect, dialectOf, isPostgresUrl } from './dialect.ts'
export { SchemaBehindError } from './migrate.ts'

export interface OpenOptions {
  /**
   * Apply pending migrations on open. Default: yes for SQLite (the embedded file is created and kept
   * current by whoever opens it), no for PostgreSQL, where replicas share one schema that an operator
   * upgrades once with `federizer migrate`; opening a PostgreSQL schema that is behind then throws
   * SchemaBehindError.
   */
  migrate?: boolean
  /** SQLite: how long a statement waits for another connection's write lock (default 5 s; sqlite-driver.ts). */
  lockWaitMs?: number
}

/**
 * Opens the domain's database: a SQLite file path (created if needed, WAL mode; db-sqlite.ts) or a
 * PostgreSQL URL (a pool; db-postgres.ts). Each call opens its own connection (pool), closed by its
 * `destroy()`. The servers of one domain in one process share the connection of their domain context
 * (@federizer/domain). Separate processes (a deployed api and gateway, or replicas on PostgreSQL) each have
 * their own connection and wait for each other: on SQLite by a timer, off the event loop (sqlite-driver.ts),
 * on PostgreSQL in its locks.
 */
export async function openDatabase(location: string, options: OpenOptions = {}): Promise<Db> {
  const dialect: Dialect = isPostgresUrl(location) ? 'postgres' : 'sqlite'
  const db =
    dialect === 'postgres'
      ? await openPostgres(location)
      : await openSqlite(location, options.lockWaitMs === undefined ? {} : { lockWaitMs: options.lockWaitMs })
  try {
    if (options.migrate ?? dialect === 'sqlite') await migrate(db)
    else await schemaBehind(db)
  } catch (e) {
    await db.destroy()
    throw e
  }
  return db
}

/** `federizer migrate`: applies the pending migrations to `location` and returns their names. */
export async function migrateDatabase(location: string): Promise<string[]> {
  const db = isPostgresUrl(location) ? await openPostgres(location) : await openSqlite(location)
  try {
    return await migrate(db)
  } finally {
    await db.destroy()
  }
}
