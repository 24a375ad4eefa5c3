import type { Db } from '@federizer/store'
import { sql } from 'kysely'

/** Jobs of one queue talking to one peer domain at once: a slow domain cannot starve the others. */
export const PER_DESTINATION = 4

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
   * jobs in flight): one slow domain cannot take every slot.
   */
  perDestination?: {
    column: 'origin_domain' | 'recipient_domain'
    max: number
    running: ReadonlyMap<string, number>
  }
}

/**
 * Claims due rows by lease: `UPDATE … SET lease_until = now + lease WHERE id = ? AND (lease_until IS NULL
 * OR lease_until < now)`, so two workers (or two replicas) never run the same row, and a crashed worker's
 * rows come back once its lease lapses. Returns the claimed ids.
 */
export async function claimDue(db: Db, table: QueueTable, options: ClaimOptions): Promise<string[]> {
  const { now, leaseSeconds, limit, states } = options
  const t = sql.table(table)
  const order = options.byPriority ? sql`priority, next_attempt_at` : sql`next_attempt_at`
  const per = options.perDestination
  const counts = new Map(per?.running ?? [])
  const saturated = per ? [...counts].filter(([, n]) => n >= per.max).map(([d]) => d) : []
  const dest = per ? sql.ref(per.column) : sql`''`
  const notSaturated =
    per && saturated.length > 0 ? sql`AND ${sql.ref(per.column)} NOT IN (${sql.join(saturated)})` : sql``
  const candidates = await sql<{ id: string; dest: string }>`
    SELECT id, ${dest} AS dest FROM ${t}
    WHERE state IN (${sql.join(states)}) AND next_attempt_at <= ${now}
      AND (lease_until IS NULL OR lease_until < ${now}) ${notSaturated}
    ORDER BY ${order}
    LIMIT ${limit + options.exclude.size}`.execute(db)
  const claimed: string[] = []
  for (const { id, dest: destination } of candidates.rows) {
    if (claimed.length >= limit) break
    if (options.exclude.has(id)) continue
    if (per && (counts.get(destination) ?? 0) >= per.max) continue
    const setState = options.setState ? sql`, state = ${options.setState}` : sql``
    const result = await sql`
      UPDATE ${t} SET lease_until = ${now + leaseSeconds}, updated_at = ${now} ${setState}
      WHERE id = ${id} AND state IN (${sql.join(states)}) AND (lease_until IS NULL OR lease_until < ${now})`.execute(
      db,
    )
    if (Number(result.numAffectedRows ?? 0n) === 1) {
      claimed.push(id)
      counts.set(destination, (counts.get(destination) ?? 0) + 1)
    }
  }
  return claimed
}

/** Extends a claim while a long job (a large fetch) is still running. */
export async function renewLease(db: Db, table: QueueTable, id: string, until: number): Promise<void> {
  await sql`UPDATE ${sql.table(table)} SET lease_until = ${until} WHERE id = ${id}`.execute(db)
}

/** Gives a claimed row back (the worker is stopping), so a restarted worker need not wait for the lease. */
export async function releaseLease(db: Db, table: QueueTable, id: string): Promise<void> {
  await sql`UPDATE ${sql.table(table)} SET lease_until = NULL WHERE id = ${id}`.execute(db)
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
