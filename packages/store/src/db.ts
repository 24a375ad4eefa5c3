import Database from 'better-sqlite3'
import { Kysely, type Migration, type MigrationProvider, Migrator, SqliteDialect } from 'kysely'
import { migrations } from './migrations/index.ts'
import type { DatabaseSchema } from './schema.ts'
import { prepareSearchIndex } from './search.ts'

export type Db = Kysely<DatabaseSchema>

/**
 * Opens (creating if needed) the domain's SQLite database in WAL mode and runs pending migrations.
 * SQLite-only pragmas live here; every query elsewhere stays in kysely's portable subset.
 */
export async function openDatabase(file: string): Promise<Db> {
  const sqlite = new Database(file)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  const db = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: sqlite }) })
  await migrate(db)
  await prepareSearchIndex(db)
  return db
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
