import Database from 'better-sqlite3'
import { sql } from 'kysely'
import pg from 'pg'
import type { Logger } from 'pino'
import type { Db } from './db.ts'
import { isPostgresUrl } from './dialect.ts'
import type { QueueTable } from './queue.ts'

/** The channel the queue triggers of migration 014 notify; the payload is the queue table's name. */
export const QUEUE_CHANNEL = 'federizer_queue'
/** How the listener shows in `pg_stat_activity.application_name` (docs/operations.md, Queue wake-ups). */
export const LISTENER_APPLICATION_NAME = 'federizer queue listener'

const QUEUE_TABLES: readonly QueueTable[] = ['outbox', 'fetch_jobs', 'forward_jobs', 'vacation_jobs']
const isQueueTable = (name: string): name is QueueTable => (QUEUE_TABLES as readonly string[]).includes(name)

export interface QueueWakeups {
  /**
   * True when another process's enqueue wakes this one: at once on PostgreSQL (NOTIFY), within
   * `sqliteCheckMs` on SQLite (the file's data_version). The MTA's own poll is then only a safety net.
   */
  readonly notifies: boolean
  /** Calls `fn` when rows were queued in `table` by any process, and after every (re)connect. */
  subscribe(table: QueueTable, fn: () => void): () => void
  /** Resolves once LISTEN is in place (at once on SQLite). */
  ready(): Promise<void>
  /** Ends the listener's connection and any pending reconnect. */
  close(): Promise<void>
}

export interface QueueWakeupOptions {
  logger?: Pick<Logger, 'info' | 'warn'>
  /** First reconnect delay; doubled after each failure up to `maxBackoffMs` (defaults 250 ms, 10 s). */
  minBackoffMs?: number
  maxBackoffMs?: number
  /** On SQLite: how often the file's `PRAGMA data_version` is read (default 250 ms). */
  sqliteCheckMs?: number
}

/**
 * Wake-ups for the MTA queues of the database at `location`. On PostgreSQL: ONE dedicated connection
 * (not from the pool, which would hand it to queries) runs `LISTEN federizer_queue`; the queue triggers
 * notify it when an insert commits, whichever replica made it. When that connection drops it reconnects
 * with exponential backoff and then wakes every subscriber once, since notifications sent during the
 * gap are lost (PostgreSQL keeps none for a session that is not there). On SQLite it does nothing.
 */
export function startQueueWakeups(location: string, options: QueueWakeupOptions = {}): QueueWakeups {
  const subscribers = new Map<QueueTable, Set<() => void>>()
  const subscribe = (table: QueueTable, fn: () => void) => {
    const set = subscribers.get(table) ?? new Set()
    subscribers.set(table, set)
    set.add(fn)
    return () => void set.delete(fn)
  }
  const wake = (table: QueueTable) => {
    for (const fn of subscribers.get(table) ?? []) fn()
  }
  const wakeAll = () => {
    for (const table of QUEUE_TABLES) wake(table)
  }
  if (!isPostgresUrl(location)) return sqliteWakeups(location, subscribe, wakeAll, options)

  const { logger } = options
  const minBackoff = options.minBackoffMs ?? 250
  const maxBackoff = options.maxBackoffMs ?? 10_000
  let closed = false
  let client: pg.Client | undefined
  let retry: NodeJS.Timeout | undefined
  let backoff = minBackoff
  let failures = 0
  let connected = false
  let markReady: () => void = () => {}
  const readyPromise = new Promise<void>((resolve) => {
    markReady = resolve
  })

  const scheduleReconnect = () => {
    if (closed || retry) return
    const delay = Math.round(backoff * (0.8 + 0.4 * Math.random()))
    backoff = Math.min(maxBackoff, backoff * 2)
    retry = setTimeout(() => {
      retry = undefined
      void connect()
    }, delay)
  }
  const connect = async () => {
    const c = new pg.Client({
      connectionString: location,
      application_name: LISTENER_APPLICATION_NAME,
      keepAlive: true,
      connectionTimeoutMillis: 5000,
    })
    let lost = false
    const onLost = (err?: Error) => {
      if (lost) return
      lost = true
      if (client === c) client = undefined
      c.removeAllListeners('notification')
      // The socket may still be open after an error event; end it (its own error is of no interest).
      c.end().catch(() => undefined)
      if (closed) return
      if (failures++ === 0)
        logger?.warn(
          { err },
          connected
            ? 'queue listener lost its PostgreSQL connection; reconnecting (polls meanwhile)'
            : 'queue listener cannot connect to PostgreSQL; retrying (polls meanwhile)',
        )
      scheduleReconnect()
    }
    c.on('error', onLost)
    c.on('end', () => onLost())
    c.on('notification', (n) => {
      if (n.channel === QUEUE_CHANNEL && n.payload && isQueueTable(n.payload)) wake(n.payload)
    })
    try {
      await c.connect()
      await c.query(`LISTEN ${QUEUE_CHANNEL}`)
    } catch (err) {
      onLost(err instanceof Error ? err : new Error(String(err)))
      return
    }
    if (closed || lost) {
      await c.end().catch(() => undefined)
      return
    }
    client = c
    connected = true
    if (failures > 0) logger?.info({ failures }, 'queue listener reconnected; waking every queue once')
    failures = 0
    backoff = minBackoff
    markReady()
    wakeAll()
  }
  void connect()
  return {
    notifies: true,
    subscribe,
    ready: () => readyPromise,
    async close() {
      closed = true
      if (retry) clearTimeout(retry)
      retry = undefined
      const c = client
      client = undefined
      markReady()
      await c?.end().catch(() => undefined)
    },
  }
}

/**
 * SQLite has no NOTIFY; its `PRAGMA data_version` (https://sqlite.org/pragma.html#pragma_data_version)
 * changes on a connection whenever ANOTHER connection commits to the file. A connection of its own,
 * which never writes, therefore sees every commit of every process; reading the pragma is a few
 * microseconds, so checking it every `sqliteCheckMs` costs nothing measurable while idle (docs/operations.md,
 * Queue wake-ups), and the MTA runners are woken (all of them: the pragma does not say which table
 * changed) only when something was committed. A file that cannot be opened leaves the MTA on its poll.
 */
function sqliteWakeups(
  file: string,
  subscribe: QueueWakeups['subscribe'],
  wakeAll: () => void,
  options: QueueWakeupOptions,
): QueueWakeups {
  let conn: Database.Database | undefined
  let timer: NodeJS.Timeout | undefined
  try {
    conn = new Database(file, { fileMustExist: true })
    const version = conn.prepare('PRAGMA data_version').pluck()
    let seen = version.get()
    timer = setInterval(() => {
      try {
        const now = version.get()
        if (now !== seen) {
          seen = now
          wakeAll()
        }
      } catch (err) {
        options.logger?.warn({ err }, 'cannot read the database file for queued work; the MTA polls')
        clearInterval(timer)
      }
    }, options.sqliteCheckMs ?? 250)
    timer.unref()
  } catch (err) {
    options.logger?.warn({ err }, 'cannot watch the database file for queued work; the MTA polls')
    conn?.close()
    conn = undefined
  }
  return {
    notifies: conn !== undefined,
    subscribe,
    ready: () => Promise.resolve(),
    close() {
      if (timer) clearInterval(timer)
      conn?.close()
      conn = undefined
      return Promise.resolve()
    },
  }
}

/**
 * When the earliest row of `table` in `states` that cannot be claimed at `now` becomes claimable: its
 * `next_attempt_at` (a retry, an undo-send hold) or the end of its lease (a crashed claimer's row), in
 * seconds since the epoch; undefined when there is none. The MTA sleeps until then (or its safety-net
 * poll), so retries run on time without frequent polling.
 */
export async function nextClaimableAt(
  db: Db,
  table: QueueTable,
  states: string[],
  now: number,
): Promise<number | undefined> {
  const row = await sql<{ at: number | null }>`
    SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until >= next_attempt_at
                    THEN lease_until + 1 ELSE next_attempt_at END) AS at
    FROM ${sql.table(table)}
    WHERE state IN (${sql.join(states)}) AND (next_attempt_at > ${now} OR lease_until >= ${now})`.execute(db)
  const at = row.rows[0]?.at
  return at === null || at === undefined ? undefined : Number(at)
}
