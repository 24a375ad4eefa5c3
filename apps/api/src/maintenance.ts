import { collectGarbage, pruneFinishedJobs, pruneTombstones } from '@federizer/store'
import type { ApiContext } from './context.ts'

/** Changes kept per account for `sync.changes`; older states get cannotCalculateChanges. */
const SYNC_HISTORY_MODSEQS = 100_000

/**
 * One maintenance pass: remove the queue rows whose work is over and whose time has passed (outbox rows
 * after the fetch window, jobs after the queue lifetime), collect unreferenced resources (uploads after
 * their grace period, outbox resources after the queue lifetime plus the fetch window) and prune sync
 * tombstones past the horizon.
 */
export async function runMaintenance(ctx: ApiContext): Promise<void> {
  const queues = await pruneFinishedJobs(ctx.db, { now: ctx.now() })
  const gc = await collectGarbage(ctx.db, ctx.resources, { now: ctx.now() })
  const pruned = await pruneTombstones(ctx.db, { keepLast: SYNC_HISTORY_MODSEQS })
  ctx.logger.info({ ...gc, queueRowsPruned: queues, tombstonesPruned: pruned }, 'maintenance pass')
}

/** Runs `runMaintenance` every `intervalSeconds` (never overlapping); returns a stopper. */
export function startMaintenance(ctx: ApiContext, intervalSeconds: number): { stop(): Promise<void> } {
  let running: Promise<void> | undefined
  const timer = setInterval(() => {
    if (running) return
    running = runMaintenance(ctx)
      .catch((err) => ctx.logger.error({ err }, 'maintenance failed'))
      .finally(() => {
        running = undefined
      })
  }, intervalSeconds * 1000)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
