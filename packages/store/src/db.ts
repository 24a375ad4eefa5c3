import Database from 'better-sqlite3'
import { Kysely, type Migration, type MigrationProvider, Migrator, SqliteDialect } from 'kysely'
import { migrations } from './migrations/index.ts'
import type { DatabaseSchema } from './schema.ts'

export type Db = Kysely<DatabaseSchema>

/**
 * Opens (creating if needed) the domain's SQLite database in WAL mode and runs pending migrations.
 * SQLite-only pragmas live here; every query elsewhere stays in kysely's portable subset.
 * Each call opens its own connection, closed by its `destroy()`. The servers of one domain in one process
 * share the connection of their domain context (@federizer/domain): better-sqlite3 is synchronous, so two
 * connections of one process contending for the write lock would block the event loop in the busy handler
 * while the other's open transaction waits for that same event loop. Separate processes (a deployed api
 * and gateway) each have their own connection and wait for each other through busy_timeout.
 */
export async function openDatabase(file: string): Promise<Db> {
  const sqlite = new Database(file)
  sqlite.pragma('journal_mode = WAL')
  // Every commit is on disk before it returns: a delivery's 202, a send's answer and SMTP's 250 are
  // given after their commit, so a power loss cannot drop acknowledged mail (docs/operations.md,
  // "Durability"). In WAL mode FULL costs one fsync of the WAL per commit; NORMAL would defer it
  // to the checkpoint.
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  cacheStatements(sqlite)
  const db = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: sqlite }) })
  await migrate(db)
  return db
}

/**
 * kysely's SQLite driver prepares every query afresh; the same few hundred statements run all day, so
 * prepared statements are kept (FIFO, 500). A statement still iterating (`busy`) is never handed out twice.
 */
function cacheStatements(sqlite: Database.Database): void {
  const prepare = sqlite.prepare.bind(sqlite)
  const cache = new Map<string, Database.Statement>()
  sqlite.prepare = ((source: string) => {
    const hit = cache.get(source)
    if (hit && !hit.busy) return hit
    const stmt = prepare(source)
    if (!hit) {
      if (cache.size >= 500) cache.delete(cache.keys().next().value as string)
      cache.set(source, stmt)
    }
    return stmt
  }) as typeof sqlite.prepare
}

const provider: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations
  },
}

export async function migrate(db: Kysely<DatabaseSchema>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`)
  }
}
