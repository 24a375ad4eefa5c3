import { sql } from 'kysely'
import type { Db } from './db.ts'
import { FETCH_WINDOW_SECONDS } from './outbox.ts'
import type { QueueTable } from './queue.ts'
import { inTransaction } from './tx.ts'

/** The states in which a queue row has no work left. */
const FINISHED: Record<QueueTable, readonly string[]> = {
  outbox: ['delivered', 'failed', 'cancelled'],
  fetch_jobs: ['done', 'failed'],
  forward_jobs: ['done', 'failed'],
  vacation_jobs: ['done', 'failed'],
}

/** Rows removed per transaction: a long backlog never holds the write lock for long. */
const BATCH = 500

export type PruneReport = Record<QueueTable, number>

/**
 * Removes the queue rows whose work is over and whose time has passed, so that the queues (and what they
 * keep of each message: its placeholder, the outbox row's DPoP key) do not grow with every message ever
 * sent or received:
 * - outbox rows delivered, failed or cancelled, once their fetch window has ended (`expires_at` +
 *   FETCH_WINDOW_SECONDS): until then the origin's fetch ACL reads them (docs/protocol.md §6), and their
 *   resource references last as long (collectGarbage);
 * - fetch, forward and vacation jobs done or failed, once their queue lifetime has ended (`expires_at`):
 *   the done fetch jobs of a message are read while its other jobs are still open (fetch-jobs.ts).
 * A row that still has work (held, queued, waiting) is never removed, whatever its age. The sender's
 * copy keeps its delivery states (`delivery_status`), so nothing the webmail shows changes.
 */
export async function pruneFinishedJobs(db: Db, options: { now: number }): Promise<PruneReport> {
  const report: PruneReport = { outbox: 0, fetch_jobs: 0, forward_jobs: 0, vacation_jobs: 0 }
  for (const table of Object.keys(FINISHED) as QueueTable[]) {
    const cutoff = table === 'outbox' ? options.now - FETCH_WINDOW_SECONDS : options.now
    for (;;) {
      const removed = await inTransaction(db, async (trx) => {
        const rows = await trx
          .selectFrom(table)
          .select('id')
          .where(sql<boolean>`state IN (${sql.join([...FINISHED[table]])})`)
          .where('expires_at', '<', cutoff)
          .limit(BATCH)
          .execute()
        if (rows.length === 0) return 0
        const ids = rows.map((r) => r.id)
        if (table === 'outbox')
          await trx
            .deleteFrom('resource_refs')
            .where('owner_kind', '=', 'outbox')
            .where('owner_id', 'in', ids)
            .execute()
        const done = await trx.deleteFrom(table).where('id', 'in', ids).executeTakeFirst()
        return Number(done.numDeletedRows)
      })
      report[table] += removed
      if (removed < BATCH) break
    }
  }
  return report
}
