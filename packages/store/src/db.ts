import path from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, type Migration, type MigrationProvider, Migrator, SqliteDialect } from 'kysely'
import { migrations } from './migrations/index.ts'
import type { DatabaseSchema } from './schema.ts'

export type Db = Kysely<DatabaseSchema>

/**
 * One connection per database file per process. better-sqlite3 is synchronous: two connections of the
 * same process contending for the write lock would block the event loop in the busy handler while the
 * other connection's open transaction waits for that same event loop (a deadlock until busy_timeout).
 * Servers started in one process (tests, the demo) therefore share one kysely instance, whose
 * connection mutex serialises transactions; separate processes (the deployed api and gateway) each have
 * their own connection and wait for each other through busy_timeout.
 */
const shared = new Map<string, { db: Promise<Db>; refs: number }>()

/**
 * Opens (creating if needed) the domain's SQLite database in WAL mode and runs pending migrations.
 * SQLite-only pragmas live here; every query elsewhere stays in kysely's portable subset.
 * Each `openDatabase` must be matched by one `destroy()`; the connection closes with the last one.
 */
export async function openDatabase(file: string): Promise<Db> {
  if (file === ':memory:') return openConnection(file)
  const key = path.resolve(file)
  let entry = shared.get(key)
  if (!entry) {
    const db = openConnection(key).then((db) => {
      const destroy = db.destroy.bind(db)
      db.destroy = async () => {
        const current = shared.get(key)
        if (current && --current.refs > 0) return
        shared.delete(key)
        await destroy()
      }
      return db
    })
    entry = { db, refs: 0 }
    shared.set(key, entry)
    db.catch(() => shared.delete(key))
  }
  entry.refs++
  return entry.db
}

async function openConnection(file: string): Promise<Db> {
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
