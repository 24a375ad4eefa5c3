import { sql } from 'kysely'
import type { Db } from './db.ts'
import { dialectOf } from './dialect.ts'

/** The MTA's queue tables; all share id, state, next_attempt_at, lease_until. */
export type QueueTable = 'outbox' | 'fetch_jobs' | 'forward_jobs' | 'vacation_jobs'

export interface ClaimOptions {
  now: number
  leaseSeconds: number
  limit: number
  /** States a row may be claimed in. */
  states: string[]
  /** Ids this process is already working on (never claimed twice). */
  exclude: ReadonlySet<string>
  /** Extra assignments made by the claim itself (e.g. outbox `held` → `queued`). */
  setState?: string
  /** Order by `priority` first (fetch jobs: inline parts before attachments). */
  byPriority?: boolean
  /**
   * At most `max` rows per destination (`column`) running at once, counting `running` (this process's
   * jobs in flight): one slow domain cannot take every slot. `max` is asked per destination (the MTA's
   * concurrency windows, apps/gateway/src/mta/window.ts).
   */
  perDestination?: {
    column: 'origin_domain' | 'recipient_domain'
    max: (destination: string) => number
    running: ReadonlyMap<string, number>
  }
}

/**
 * The due rows a claim may take, in order, each with its destination: at most `limit`, none of a
 * destination in `full` nor with an id in `skip`.
 */
function candidates(
  db: Db,
  table: QueueTable,
  options: ClaimOptions,
  limit: number,
  full: readonly string[],
  skip: readonly string[],
  lock: boolean,
) {
  const { now, states } = options
  const per = options.perDestination
  const dest = per ? sql.ref(per.column) : sql`''`
  const notFull = per && full.length > 0 ? sql`AND ${sql.ref(per.column)} NOT IN (${sql.join(full)})` : sql``
  const notMine = skip.length > 0 ? sql`AND id NOT IN (${sql.join(skip)})` : sql``
  const order = options.byPriority ? sql`priority, next_attempt_at` : sql`next_attempt_at`
  return sql<{ id: string; dest: string }>`
    SELECT id, ${dest} AS dest FROM ${sql.table(table)}
    WHERE state IN (${sql.join(states)}) AND next_attempt_at <= ${now}
      AND (lease_until IS NULL OR lease_until < ${now}) ${notFull} ${notMine}
    ORDER BY ${order}
    LIMIT ${limit} ${lock ? sql`FOR UPDATE SKIP LOCKED` : sql``}`.execute(db)
}

/** Rounds of `candidates` one claim may read (each one fills at least one more destination). */
const MAX_ROUNDS = 8

/**
 * Picks the ids to claim, in order, at most `per.max` running per destination. When a page of
 * candidates was full and rows were passed over because their destination filled up, rows of other
 * destinations may lie beyond it: the next round reads on without the full destinations. So a claim
 * that returns fewer than `limit` rows took everything claimable (the runner then sleeps until woken
 * rather than claiming again at once, apps/gateway/src/mta/runner.ts).
 */
async function pickDue(db: Db, table: QueueTable, options: ClaimOptions, lock: boolean): Promise<string[]> {
  const per = options.perDestination
  const counts = new Map(per?.running ?? [])
  const isFull = (dest: string) => per !== undefined && (counts.get(dest) ?? 0) >= per.max(dest)
  const taken: string[] = []
  for (let round = 0; round < MAX_ROUNDS && taken.length < options.limit; round++) {
    const want = options.limit - taken.length
    const full = per ? [...counts.keys()].filter(isFull) : []
    const skip = [...options.exclude, ...taken]
    const rows = (await candidates(db, table, options, want, full, skip, lock)).rows
    let passedOver = false
    for (const { id, dest } of rows) {
      if (taken.length >= options.limit) break
      if (isFull(dest)) {
        passedOver = true
        continue
      }
      taken.push(id)
      counts.set(dest, (counts.get(dest) ?? 0) + 1)
    }
    if (!passedOver || rows.length < want) break
  }
  return taken
}

const leaseSet = (options: ClaimOptions) =>
  sql`lease_until = ${options.now + options.leaseSeconds}, updated_at = ${options.now}${
    options.setState ? sql`, state = ${options.setState}` : sql``
  }`

/**
 * Claims due rows for `leaseSeconds`, so two workers (or two replicas) never run the same row and a
 * crashed worker's rows come back once its lease lapses. Returns the claimed ids.
 * - PostgreSQL: one transaction selects the due rows `FOR UPDATE SKIP LOCKED` (rows another claimer holds
 *   are skipped, not waited for) and sets their lease before committing.
 * - SQLite (one writer at a time): the candidates are read, then taken by one conditional
 *   `UPDATE … WHERE id IN (…) AND (lease_until IS NULL OR lease_until < now) RETURNING id`.
 */
export async function claimDue(db: Db, table: QueueTable, options: ClaimOptions): Promise<string[]> {
  const t = sql.table(table)
  if (dialectOf(db) === 'postgres')
    return db.transaction().execute(async (trx) => {
      const ids = await pickDue(trx, table, options, true)
      if (ids.length > 0)
        await sql`UPDATE ${t} SET ${leaseSet(options)} WHERE id IN (${sql.join(ids)})`.execute(trx)
      return ids
    })
  // SQLite: ONE statement leases every picked row (one commit, and the write lock is never held across
  // an await, which two connections of one process would deadlock on); the conditions leave a row another
  // process leased since the candidates were read. An empty claim writes nothing.
  const ids = await pickDue(db, table, options, false)
  if (ids.length === 0) return []
  const lease = sql<{ id: string }>`
    UPDATE ${t} SET ${leaseSet(options)}
    WHERE id IN (${sql.join(ids)}) AND state IN (${sql.join(options.states)})
      AND (lease_until IS NULL OR lease_until < ${options.now})
    RETURNING id`
  const leased = await lease.execute(db)
  const taken = new Set(leased.rows.map((r) => r.id))
  return ids.filter((id) => taken.has(id))
}

/** Extends a claim while a long job (a large fetch) is still running. */
export async function renewLease(db: Db, table: QueueTable, id: string, until: number): Promise<void> {
  await sql`UPDATE ${sql.table(table)} SET lease_until = ${until} WHERE id = ${id}`.execute(db)
}

/**
 * Gives a claimed row back (the worker is stopping), so a restarted worker need not wait for the lease.
 * On PostgreSQL it also sends the `federizer_queue` notification the enqueue triggers send (migration 014).
 */
export async function releaseLease(db: Db, table: QueueTable, id: string): Promise<void> {
  await sql`UPDATE ${sql.table(table)} SET lease_until = NULL WHERE id = ${id}`.execute(db)
  if (dialectOf(db) === 'postgres') await sql`SELECT pg_notify('federizer_queue', ${table})`.execute(db)
}

/** How one attempt at a fetch or forward job ended. */
export type AttemptEnd =
  | { state: 'done' }
  | { state: 'failed'; error: string }
  | { state: 'retry'; error: string; nextAttemptAt: number }

/** Records the end of an attempt and gives the lease back: done, failed for good, or due again later. */
export async function endAttempt(
  db: Db,
  table: 'fetch_jobs' | 'forward_jobs' | 'vacation_jobs',
  job: { id: string; attempts: number },
  end: AttemptEnd,
  now: number,
): Promise<void> {
  const common = { lease_until: null, attempts: job.attempts + 1, updated_at: now }
  const values =
    end.state === 'done'
      ? { ...common, state: 'done' as const, last_error: null }
      : end.state === 'failed'
        ? { ...common, state: 'failed' as const, last_error: end.error }
        : { ...common, last_error: end.error, next_attempt_at: end.nextAttemptAt }
  await db.updateTable(table).set(values).where('id', '=', job.id).execute()
}
