import type Database from 'better-sqlite3'
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SelectQueryNode,
} from 'kysely'
import type { WalCheckpointer } from './wal-checkpoint.ts'
import type { WalSync } from './wal-sync.ts'

/** How long a statement waits for another connection's write lock before the store counts as unavailable. */
export const DEFAULT_LOCK_WAIT_MS = 5000
/** Prepared statements kept per connection (FIFO): the same few hundred statements run all day. */
const STATEMENT_CACHE = 500

const isBusy = (e: unknown): boolean =>
  typeof (e as { code?: unknown })?.code === 'string' &&
  (e as { code: string }).code.startsWith('SQLITE_BUSY')

/** The wait before the n-th retry of a statement that found the file locked: 1, 2, 3, 4, then 5 ms. */
const backoffMs = (attempt: number): number => Math.min(attempt + 1, 5)
const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * The store's SQLite driver for kysely: one better-sqlite3 connection behind a mutex (as kysely's own
 * SqliteDriver), its prepared statements kept, every transaction begun IMMEDIATE, and the wait for another
 * connection's write lock taken off the event loop.
 *
 * better-sqlite3 is synchronous. With a busy_timeout, a statement that meets the write lock of the other
 * process of the domain (the api and the gateway share one file) sleeps in SQLite's busy handler and the
 * whole process stops with it: under load 0.8–1.3 ms per transaction and 3–4 ms per replay-cache write
 * (`bench/sql-count.mjs`), and two connections of one process would deadlock. Here busy_timeout is 0, and
 * what finds the file busy before it has done anything is tried again after a timer, the event loop
 * serving other work meanwhile:
 * - `BEGIN IMMEDIATE`: the transaction takes the write lock before its first statement (a deferred one
 *   that read first could not write once another connection had committed: SQLITE_BUSY_SNAPSHOT). Every
 *   transaction of the store on SQLite is a write transaction (tx.ts), and one writer at a time makes each
 *   serializable;
 * - a statement outside a transaction: SQLite rolled it back, nothing happened.
 * A statement inside a transaction holds the lock and cannot meet SQLITE_BUSY; if it did, it would wait in
 * the busy handler as before. Past `lockWaitMs` the SQLITE_BUSY error is thrown (a 503 by db-unavailable.ts).
 *
 * Durability: with a `walSync`, the connection commits with `synchronous = NORMAL` and a COMMIT, or a write
 * outside a transaction, resolves only once the WAL holding it is fsynced (wal-sync.ts), the connection
 * already handed to the next caller meanwhile: the fsync leaves the event loop, and the commits waiting
 * at the same time share one. With a `checkpointer`, the WAL is copied into the database file on a worker
 * thread every few commits (wal-checkpoint.ts), never inside one of this connection's COMMITs.
 * @see https://sqlite.org/lang_transaction.html, https://sqlite.org/rescode.html#busy
 */
export class SqliteDriver implements Driver {
  readonly #connection: SqliteConnection
  #locked: Promise<void> | undefined
  #unlock: (() => void) | undefined

  constructor(
    readonly sqlite: Database.Database,
    lockWaitMs = DEFAULT_LOCK_WAIT_MS,
    private readonly wal: { walSync?: WalSync | undefined; checkpointer?: WalCheckpointer | undefined } = {},
  ) {
    sqlite.pragma('busy_timeout = 0')
    this.#connection = new SqliteConnection(sqlite, lockWaitMs)
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    while (this.#locked) await this.#locked
    this.#locked = new Promise((resolve) => {
      this.#unlock = resolve
    })
    return this.#connection
  }

  /** Hands the connection on, then waits for the fsync of what it committed (if anything). */
  async releaseConnection(): Promise<void> {
    const unsynced = this.#connection.unsynced
    this.#connection.unsynced = false
    const unlock = this.#unlock
    this.#locked = undefined
    this.#unlock = undefined
    unlock?.()
    if (!unsynced) return
    this.wal.checkpointer?.committed()
    await this.wal.walSync?.afterCommit()
  }

  async beginTransaction(): Promise<void> {
    await this.#connection.begin()
  }

  async commitTransaction(): Promise<void> {
    await this.#connection.executeQuery(CompiledQuery.raw('commit'))
  }

  async rollbackTransaction(): Promise<void> {
    // SQLite may have ended the transaction itself (an I/O error, a full disk): nothing is left to undo.
    if (!this.sqlite.inTransaction) return
    // Nothing of the transaction is left to sync (a lone write before it, on a held connection, still is).
    const unsynced = this.#connection.unsynced
    await this.#connection.executeQuery(CompiledQuery.raw('rollback'))
    this.#connection.unsynced = unsynced
  }

  async savepoint(_c: DatabaseConnection, name: string): Promise<void> {
    await this.#connection.executeQuery(CompiledQuery.raw(`savepoint ${quoted(name)}`))
  }

  async rollbackToSavepoint(_c: DatabaseConnection, name: string): Promise<void> {
    await this.#connection.executeQuery(CompiledQuery.raw(`rollback to ${quoted(name)}`))
  }

  async releaseSavepoint(_c: DatabaseConnection, name: string): Promise<void> {
    await this.#connection.executeQuery(CompiledQuery.raw(`release ${quoted(name)}`))
  }

  async destroy(): Promise<void> {
    await this.wal.checkpointer?.close()
    await this.wal.walSync?.close()
    this.sqlite.close()
  }
}

class SqliteConnection implements DatabaseConnection {
  readonly #statements = new Map<string, Database.Statement>()
  /**
   * A COMMIT or a lone write ran since the connection was last released: its WAL frames are not known to
   * be on disk (the driver waits for their fsync on release).
   */
  unsynced = false

  constructor(
    readonly sqlite: Database.Database,
    readonly lockWaitMs: number,
  ) {}

  async begin(): Promise<void> {
    await this.#whenFree(() => this.sqlite.exec('begin immediate'))
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.sqlite.inTransaction) return this.#whenFree(() => this.#run<R>(query))
    try {
      return this.#run<R>(query)
    } catch (e) {
      if (!isBusy(e)) throw e
      return this.#runWaiting<R>(query, this.lockWaitMs)
    }
  }

  /** Runs `work`, which has no effect when it meets SQLITE_BUSY, again after a timer until it finds the file free. */
  async #whenFree<T>(work: () => T): Promise<T> {
    const deadline = Date.now() + this.lockWaitMs
    for (let attempt = 0; ; attempt++) {
      try {
        return work()
      } catch (e) {
        if (!isBusy(e) || Date.now() >= deadline) throw e
        await sleep(backoffMs(attempt))
      }
    }
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) throw new Error('the SQLite driver streams SELECT queries only')
    for (const row of this.#prepare(query.sql).iterate(query.parameters as unknown[]))
      yield { rows: [row as R] }
  }

  #run<R>(query: CompiledQuery): QueryResult<R> {
    const stmt = this.#prepare(query.sql)
    const parameters = query.parameters as unknown[]
    // A write outside a transaction (autocommit, `UPDATE … RETURNING` too) or the COMMIT of one (which
    // SQLite counts as read-only) has written WAL frames.
    if (stmt.reader) {
      const rows = stmt.all(parameters) as R[]
      if (!stmt.readonly && !this.sqlite.inTransaction) this.unsynced = true
      return { rows }
    }
    const { changes, lastInsertRowid } = stmt.run(parameters)
    if (!this.sqlite.inTransaction) this.unsynced = true
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] }
  }

  /** A statement inside a transaction: SQLite's busy handler, for this statement only. */
  #runWaiting<R>(query: CompiledQuery, ms: number): QueryResult<R> {
    this.sqlite.pragma(`busy_timeout = ${Math.ceil(ms)}`)
    try {
      return this.#run<R>(query)
    } finally {
      this.sqlite.pragma('busy_timeout = 0')
    }
  }

  /** A statement still iterating (`busy`) is never handed out twice. */
  #prepare(source: string): Database.Statement {
    const hit = this.#statements.get(source)
    if (hit && !hit.busy) return hit
    const stmt = this.sqlite.prepare(source)
    if (!hit) {
      if (this.#statements.size >= STATEMENT_CACHE)
        this.#statements.delete(this.#statements.keys().next().value as string)
      this.#statements.set(source, stmt)
    }
    return stmt
  }
}
