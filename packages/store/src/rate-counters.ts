import { sql } from 'kysely'
import type { Db } from './db.ts'
import { dialectOf } from './dialect.ts'
import { inTransaction } from './tx.ts'

/** A rate-limiter counter as stored: points consumed and when the window ends (epoch ms, null = never). */
export interface RateCounter {
  points: number
  expireMs: number | null
}

/**
 * Adds `points` to `key`'s counter in one statement (insert or update, atomic in every dialect): an expired
 * window starts again at `points` with a new end `nowMs + durationMs`; `force` overwrites points and end.
 * Returns the counter after the change. The store behind rate-limiter-flexible (`apps/gateway/src/as/limiter.ts`).
 */
export async function addRatePoints(
  db: Db,
  input: { key: string; points: number; nowMs: number; durationMs: number; force?: boolean },
): Promise<RateCounter> {
  const { key, points, nowMs, durationMs } = input
  const end = durationMs > 0 ? nowMs + durationMs : null
  const expired = sql<boolean>`rate_limits.expire_ms IS NOT NULL AND rate_limits.expire_ms <= ${nowMs}`
  const row = await db
    .insertInto('rate_limits')
    .values({ key, points, expire_ms: end })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet(
        input.force
          ? { points, expire_ms: end }
          : {
              points: sql`CASE WHEN ${expired} THEN ${points} ELSE rate_limits.points + ${points} END`,
              expire_ms: sql`CASE WHEN ${expired} THEN ${end} ELSE rate_limits.expire_ms END`,
            },
      ),
    )
    .returning(['points', 'expire_ms'])
    .executeTakeFirstOrThrow()
  return { points: Number(row.points), expireMs: row.expire_ms === null ? null : Number(row.expire_ms) }
}

/** `key`'s counter while its window lasts, otherwise undefined. */
export async function getRateCounter(db: Db, key: string, nowMs: number): Promise<RateCounter | undefined> {
  const row = await db
    .selectFrom('rate_limits')
    .select(['points', 'expire_ms'])
    .where('key', '=', key)
    .where((eb) => eb.or([eb('expire_ms', 'is', null), eb('expire_ms', '>', nowMs)]))
    .executeTakeFirst()
  if (!row) return undefined
  return { points: Number(row.points), expireMs: row.expire_ms === null ? null : Number(row.expire_ms) }
}

/** Forgets `key`'s counter; true when there was one. */
export async function deleteRateCounter(db: Db, key: string): Promise<boolean> {
  const r = await db.deleteFrom('rate_limits').where('key', '=', key).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}

/** Removes counters whose window ended before `nowMs` (the only way a counter leaves the store). */
export async function pruneRateCounters(db: Db, nowMs: number): Promise<number> {
  const r = await db.deleteFrom('rate_limits').where('expire_ms', '<=', nowMs).executeTakeFirst()
  return Number(r.numDeletedRows)
}

/** One budget a charge spends: `points` of `key`'s counter, over a window of `durationMs`, at most `max`. */
export interface BudgetCharge {
  key: string
  points: number
  max: number
  durationMs: number
  /** Over budget, the points are taken back again (they were not spent: a smaller charge may still fit). */
  giveBackIfOver?: boolean
}

/** How `chargeBudgets` ended: every budget charged, or the first one over, with its counter. */
export type BudgetOutcome = { ok: true } | { ok: false; index: number; counter: RateCounter }

/**
 * Charges the budgets in order, stopping at the first that goes over `max`; the budgets after it are
 * not charged, and that one is charged anyway unless `giveBackIfOver`. On SQLite in ONE transaction
 * (one commit on the hot path of every delivery, or none of its own inside the caller's): there one
 * writer runs at a time anyway. On PostgreSQL each upsert commits by itself (atomic on its row): in a
 * SERIALIZABLE transaction every concurrent delivery from one peer would conflict on that peer's counter
 * row and be rolled back and retried.
 */
export async function chargeBudgets(
  db: Db,
  charges: readonly BudgetCharge[],
  nowMs: number,
): Promise<BudgetOutcome> {
  const run = async (q: Db): Promise<BudgetOutcome> => {
    for (const [index, c] of charges.entries()) {
      const counter = await addRatePoints(q, {
        key: c.key,
        points: c.points,
        nowMs,
        durationMs: c.durationMs,
      })
      if (counter.points <= c.max) continue
      if (c.giveBackIfOver)
        await q
          .updateTable('rate_limits')
          .set({ points: sql`points - ${c.points}` })
          .where('key', '=', c.key)
          .execute()
      return { ok: false, index, counter }
    }
    return { ok: true }
  }
  return dialectOf(db) === 'postgres' ? run(db) : inTransaction(db, run)
}
