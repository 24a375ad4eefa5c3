import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { mapUnavailable, sqliteUnavailable } from './db-unavailable.ts'
import type { DatabaseSchema } from './schema.ts'

/** The embedded store: one SQLite file in WAL mode. SQLite-only pragmas live here. */
export async function openSqlite(file: string): Promise<Kysely<DatabaseSchema>> {
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
  // A lock held by another process past busy_timeout is an outage of the moment (503), not a fault.
  return new Kysely<DatabaseSchema>({
    dialect: mapUnavailable(new SqliteDialect({ database: sqlite }), sqliteUnavailable),
  })
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
