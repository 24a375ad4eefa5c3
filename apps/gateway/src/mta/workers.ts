import { watchQueued } from '@federizer/node'
import { releaseLease } from '@federizer/store'
import type { GatewayContext } from '../context.ts'
import { claimFetchJobs, runFetchJob } from './fetch.ts'
import { claimForwardJobs, runForwardJob } from './forward.ts'
import { claimOutbox, deliverOutboxRow } from './outbox.ts'
import { startQueueRunner } from './runner.ts'
import { claimVacationJobs, runVacationJob } from './vacation.ts'

export interface MtaWorkers {
  /** Stops claiming; running jobs get `graceMs` to finish before they are aborted (leases given back). */
  stop(graceMs?: number): Promise<void>
}

/**
 * Starts the MTA: four queue runners (outbound deliveries, auto-forwards, inbound fetches, vacation replies) that claim
 * rows by lease, so several gateway processes may share one database. They are woken by this process's
 * deliveries and by the api's signal (queue-wake.ts); polls only notice retries that came due. `stop` lets running jobs finish for
 * a grace period, aborts the rest (giving their leases back) and resolves once every job has ended.
 */
export async function startMtaWorkers(ctx: GatewayContext): Promise<MtaWorkers> {
  const { logger } = ctx
  const pollIntervalMs = ctx.federation.pollIntervalMs
  // Fetch and forward jobs are created by this process's delivery endpoint, which wakes the runners at
  // once; polling only has to notice retries that came due (never sooner than 1 s) and other replicas' work.
  const localQueuePollMs = Math.max(pollIntervalMs, 500)
  const runners = [
    startQueueRunner({
      name: 'outbox',
      concurrency: 32,
      pollIntervalMs,
      logger,
      claim: (limit, exclude, running) => claimOutbox(ctx, limit, exclude, running),
      id: (row) => row.id,
      destination: (row) => row.recipient_domain,
      run: (row, signal) => deliverOutboxRow(ctx, row, signal),
      release: (row) => releaseLease(ctx.db, 'outbox', row.id),
    }),
    startQueueRunner({
      name: 'forward',
      concurrency: 8,
      pollIntervalMs: localQueuePollMs,
      logger,
      claim: (limit, exclude) => claimForwardJobs(ctx, limit, exclude),
      id: (row) => row.id,
      run: (row, signal) => runForwardJob(ctx, row, signal),
      release: (row) => releaseLease(ctx.db, 'forward_jobs', row.id),
    }),
    startQueueRunner({
      name: 'fetch',
      concurrency: 16,
      pollIntervalMs: localQueuePollMs,
      logger,
      claim: (limit, exclude, running) => claimFetchJobs(ctx, limit, exclude, running),
      id: (row) => row.id,
      destination: (row) => row.origin_domain,
      run: (row, signal) => runFetchJob(ctx, row, signal),
      release: (row) => releaseLease(ctx.db, 'fetch_jobs', row.id),
    }),
    startQueueRunner({
      name: 'vacation',
      concurrency: 2,
      pollIntervalMs: localQueuePollMs,
      logger,
      claim: (limit, exclude) => claimVacationJobs(ctx, limit, exclude),
      id: (row) => row.id,
      run: (row, signal) => runVacationJob(ctx, row, signal),
      release: (row) => releaseLease(ctx.db, 'vacation_jobs', row.id),
    }),
  ]
  const wake = () => {
    for (const r of runners) r.wake()
  }
  ctx.federation.onWake.add(wake)
  // The api is another process: it signals the mail it queued through a watched file (queue-wake.ts).
  const watcher = await watchQueued(ctx.config, wake, (err) =>
    logger.warn({ err }, 'cannot watch for queued mail; the MTA polls every %d ms', pollIntervalMs),
  )
  return {
    async stop(graceMs = 0) {
      watcher.close()
      ctx.federation.onWake.delete(wake)
      await Promise.all(runners.map((r) => r.stop(graceMs)))
    },
  }
}
