import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely'
import { DatabaseUnavailableError } from './errors.ts'

/** True when `e` says the database cannot be reached now (not that the query itself was wrong). */
export type UnavailableTest = (e: unknown) => boolean

/** Socket-level failures reaching the server (Node's system error codes). */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
])

/**
 * PostgreSQL: SQLSTATE class 08 (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown,
 * 57P03 cannot_connect_now (starting up or shutting down), class 53 (insufficient resources, e.g.
 * too_many_connections); a refused or cut socket; node-postgres's own messages for a connection that
 * ended or a pool that could not connect within its timeout, and kysely's for a connection whose
 * rollback failed (they carry no code).
 * (The codes are PostgreSQL's SQLSTATE table, Appendix A of its manual.)
 */
export const postgresUnavailable: UnavailableTest = (e) => {
  if (!(e instanceof Error)) return false
  const code = (e as { code?: unknown }).code
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code)) return true
    if (/^(08|53)/.test(code) || code === '57P01' || code === '57P02' || code === '57P03') return true
    return false
  }
  return /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable|Postgres connection has been discarded/.test(
    e.message,
  )
}

/** SQLite: the file stayed locked by another connection past the lock wait (SQLITE_BUSY and its extended codes; sqlite-driver.ts). */
export const sqliteUnavailable: UnavailableTest = (e) =>
  typeof (e as { code?: unknown })?.code === 'string' &&
  (e as { code: string }).code.startsWith('SQLITE_BUSY')

/**
 * Wraps a kysely dialect so that every failure of its driver which means "the database cannot be reached
 * now" is thrown as DatabaseUnavailableError (the original as its cause), whatever query met it: callers
 * and edges then tell an outage from a fault by type, not by driver codes. Other errors pass unchanged
 * (PostgreSQL's 40001 still reaches inTransaction's retry).
 */
export function mapUnavailable(dialect: Dialect, unavailable: UnavailableTest): Dialect {
  const map = (e: unknown): unknown => (unavailable(e) ? new DatabaseUnavailableError({ cause: e }) : e)
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work()
    } catch (e) {
      throw map(e)
    }
  }
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => wrapDriver(dialect.createDriver(), guard, map),
  }
}

type Guard = <T>(work: () => Promise<T>) => Promise<T>

class MappedConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly guard: Guard,
    private readonly map: (e: unknown) => unknown,
  ) {}
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.guard(() => this.inner.executeQuery<R>(query))
  }
  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize)
    } catch (e) {
      throw this.map(e)
    }
  }
}

function wrapDriver(driver: Driver, guard: Guard, map: (e: unknown) => unknown): Driver {
  const inner = (c: DatabaseConnection) => (c instanceof MappedConnection ? c.inner : c)
  type Compile = QueryCompiler['compileQuery']
  const savepoint =
    (method: 'savepoint' | 'rollbackToSavepoint' | 'releaseSavepoint') =>
    (c: DatabaseConnection, name: string, compile: Compile) =>
      guard(async () => driver[method]?.(inner(c), name, compile))
  return {
    init: () => guard(() => driver.init()),
    acquireConnection: () =>
      guard(async () => new MappedConnection(await driver.acquireConnection(), guard, map)),
    beginTransaction: (c, settings: TransactionSettings) =>
      guard(() => driver.beginTransaction(inner(c), settings)),
    commitTransaction: (c) => guard(() => driver.commitTransaction(inner(c))),
    rollbackTransaction: (c) => guard(() => driver.rollbackTransaction(inner(c))),
    ...(driver.savepoint ? { savepoint: savepoint('savepoint') } : {}),
    ...(driver.rollbackToSavepoint ? { rollbackToSavepoint: savepoint('rollbackToSavepoint') } : {}),
    ...(driver.releaseSavepoint ? { releaseSavepoint: savepoint('releaseSavepoint') } : {}),
    releaseConnection: (c) => driver.releaseConnection(inner(c)),
    destroy: () => driver.destroy(),
  }
}
