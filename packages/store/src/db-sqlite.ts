import Database from 'better-sqlite3'
import { Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely'
import { mapUnavailable, sqliteUnavailable } from './db-unavailable.ts'
import type { DatabaseSchema } from './schema.ts'
import { DEFAULT_LOCK_WAIT_MS, SqliteDriver } from './sqlite-driver.ts'
import { WalCheckpointer } from './wal-checkpoint.ts'
import { WalSync } from './wal-sync.ts'

export interface SqliteOptions {
  /** How long a statement waits for another connection's write lock before it fails (default 5 s). */
  lockWaitMs?: number
}

/** The page cache of each connection, in KiB (`PRAGMA cache_size` takes a negative number as KiB). */
const PAGE_CACHE_KIB = 64 * 1024

/** SQLite's default `wal_autocheckpoint`, restored when the checkpoint worker fails. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000

const walSyncs = new WeakMap<object, WalSync>()
const checkpointers = new WeakMap<object, WalCheckpointer>()

/** The checkpoint worker of a SQLite store in WAL mode (tests, benchmarks); undefined for any other. */
export function walCheckpointerOf(db: object): WalCheckpointer | undefined {
  return checkpointers.get(db)
}

/**
 * How many fsyncs of its WAL a SQLite store has made (each makes every commit before it durable), or
 * undefined for a store that commits with SQLite's own fsync (PostgreSQL, a database in memory).
 */
export function walSyncsOf(db: object): number | undefined {
  return walSyncs.get(db)?.syncs
}

/** The embedded store: one SQLite file in WAL mode. SQLite-only pragmas live here. */
export async function openSqlite(file: string, options: SqliteOptions = {}): Promise<Kysely<DatabaseSchema>> {
  const sqlite = new Database(file)
  const journal = sqlite.pragma('journal_mode = WAL', { simple: true })
  // Every commit is on disk before the caller goes on: a delivery's 202, a send's answer and SMTP's 250
  // are given after their commit, so a power loss cannot drop acknowledged mail (docs/operations.md,
  // "Durability"). In WAL mode SQLite commits with NORMAL (frames written, not synced) and the driver
  // waits for an fsync of the WAL off the event loop, one for all the commits waiting at once
  // (wal-sync.ts); a database without a WAL file (in memory) keeps FULL.
  const wal = journal === 'wal' && file !== '' && file !== ':memory:'
  sqlite.pragma(wal ? 'synchronous = NORMAL' : 'synchronous = FULL')
  sqlite.pragma('foreign_keys = ON')
  // A page cache of up to 64 MiB per connection (SQLite's default is 2 MiB), filled only as pages are
  // read: the indexes a message touches stay in memory instead of being read again through the OS on
  // every statement. Measured: SQL time per text message 1.79-1.93 -> 1.43-1.59 ms (api + gateway) and
  // 1.22-1.30 -> 1.00-1.03 ms (receiving gateway), docs/benchmarks.md.
  sqlite.pragma(`cache_size = -${PAGE_CACHE_KIB}`)
  const walSync = wal ? new WalSync(`${file}-wal`) : undefined
  // Checkpoints on a worker thread, not inside a COMMIT of this connection (wal-checkpoint.ts); should
  // the worker fail, SQLite's own automatic checkpoints come back.
  let checkpointer: WalCheckpointer | undefined
  if (wal) {
    sqlite.pragma('wal_autocheckpoint = 0')
    checkpointer = new WalCheckpointer(file, (error) => {
      process.emitWarning(
        `${error.message}; SQLite checkpoints ${file} itself again`,
        'FederizerStoreWarning',
      )
      if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`)
    })
  }
  const driver = new SqliteDriver(sqlite, options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, {
    walSync,
    checkpointer,
  })
  // A lock held by another connection past lockWaitMs is an outage of the moment (503), not a fault.
  const db = new Kysely<DatabaseSchema>({
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
  if (walSync) walSyncs.set(db, walSync)
  if (checkpointer) checkpointers.set(db, checkpointer)
  return db
}
