import { watchQueued } from '@federizer/node'
import { type QueueTable, releaseLease, startQueueWakeups } from '@federizer/store'
import type { GatewayContext } from '../context.ts'
import { queueDueClock } from './due.ts'
import { claimFetchJobs, runFetchJob } from './fetch.ts'
import { claimForwardJobs, runForwardJob } from './forward.ts'
import { OUTBOX_PER_DESTINATION } from './limits.ts'
import { claimOutbox, deliverOutboxRow } from './outbox.ts'
import { type QueueRunnerOptions, startQueueRunner } from './runner.ts'
import { claimVacationJobs, runVacationJob } from './vacation.ts'

/** The poll when no wake-ups could be set up (a SQLite file the watcher could not open). */
const FALLBACK_POLL_MS = 200

export interface MtaWorkers {
  /** Stops claiming; running jobs get `graceMs` to finish before they are aborted (leases given back). */
  stop(graceMs?: number): Promise<void>
}

/**
 * Starts the MTA: four queue runners (outbound deliveries, auto-forwards, inbound fetches, vacation
 * replies) that claim rows by lease, so several gateway processes may share one database. They are woken
 * by this process's deliveries, by the api's signal (queue-wake.ts) and by the store's wake-ups
 * (queue-wakeups.ts): on PostgreSQL the queue notifications of every replica (LISTEN/NOTIFY), each runner
 * by its own table, on SQLite any other connection's commit to the file (data_version); an
 * idle runner sleeps until its next row comes due (a retry, a lapsing lease), or for the poll interval,
 * which is then only a slow safety net (the schedule's `safetyNetPollSeconds`). `stop` lets
 * running jobs finish for a grace period, aborts the rest (giving their leases back) and resolves once
 * every job and the listener have ended.
 */
export async function startMtaWorkers(ctx: GatewayContext): Promise<MtaWorkers> {
  const { logger } = ctx
  const wakeups = startQueueWakeups(ctx.domain.paths.database, { logger })
  const pollIntervalMs =
    ctx.federation.pollIntervalMs ??
    (wakeups.notifies ? ctx.domain.schedule.safetyNetPollSeconds * 1000 : FALLBACK_POLL_MS)
  // Fetch and forward jobs are created by this process's delivery endpoint, which wakes the runners at
  // once; polling only has to notice other replicas' work that no notification announced.
  const localQueuePollMs = Math.max(pollIntervalMs, 500)
  const runner = <Row extends { id: string }>(
    table: QueueTable,
    states: string[],
    options: Omit<QueueRunnerOptions<Row>, 'logger' | 'id' | 'release' | 'nextDueInMs'>,
  ) => {
    const due = queueDueClock(ctx.db, table, states, ctx.now)
    const r = startQueueRunner<Row>({
      ...options,
      logger,
      id: (row) => row.id,
      release: (row) => releaseLease(ctx.db, table, row.id),
      claim: (limit, exclude, running) => {
        due.claiming()
        return options.claim(limit, exclude, running)
      },
      nextDueInMs: due.nextDueInMs,
    })
    const unsubscribe = wakeups.subscribe(table, r.wake)
    return { ...r, table, unsubscribe }
  }
  const { windows } = ctx.federation
  const outbox = runner('outbox', ['held', 'queued'], {
    name: 'outbox',
    // Four domains at OUTBOX_PER_DESTINATION before one more waits; a stalled domain's window shrinks to
    // 4 and then 1 (window.ts), so sixteen or more stalled domains are needed to take every slot.
    concurrency: 4 * OUTBOX_PER_DESTINATION,
    pollIntervalMs,
    claim: (limit, exclude, running) => claimOutbox(ctx, limit, exclude, running),
    destination: (row) => row.recipient_domain,
    capacity: (domain) => windows.outbox.limit(domain),
    run: (row, signal) => deliverOutboxRow(ctx, row, signal),
  })
  const runners = [
    outbox,
    runner('forward_jobs', ['queued'], {
      name: 'forward',
      concurrency: 8,
      pollIntervalMs: localQueuePollMs,
      claim: (limit, exclude) => claimForwardJobs(ctx, limit, exclude),
      run: (row, signal) => runForwardJob(ctx, row, signal),
    }),
    runner('fetch_jobs', ['queued'], {
      name: 'fetch',
      concurrency: 16,
      pollIntervalMs: localQueuePollMs,
      claim: (limit, exclude, running) => claimFetchJobs(ctx, limit, exclude, running),
      destination: (row) => row.origin_domain,
      capacity: (origin) => windows.fetch.limit(origin),
      run: (row, signal) => runFetchJob(ctx, row, signal),
    }),
    runner('vacation_jobs', ['queued'], {
      name: 'vacation',
      concurrency: 2,
      pollIntervalMs: localQueuePollMs,
      claim: (limit, exclude) => claimVacationJobs(ctx, limit, exclude),
      run: (row, signal) => runVacationJob(ctx, row, signal),
    }),
  ]
  const wake = (queues?: readonly QueueTable[]) => {
    for (const r of runners) if (!queues || queues.includes(r.table)) r.wake()
  }
  ctx.federation.onWake.add(wake)
  // The api signals the outgoing mail it queued (outbox rows, its only queue): directly when it runs on
  // this domain context, through a watched file from another process (queue-wake.ts).
  const wakeOutbox = (domains?: readonly string[]) => outbox.wake(domains)
  ctx.domain.outboxWakers.add(wakeOutbox)
  const watcher = await watchQueued(
    ctx.config,
    () => outbox.wake(),
    (err) => logger.warn({ err }, 'cannot watch for queued mail; the MTA polls every %d ms', pollIntervalMs),
  )
  return {
    async stop(graceMs = 0) {
      watcher.close()
      ctx.domain.outboxWakers.delete(wakeOutbox)
      ctx.federation.onWake.delete(wake)
      for (const r of runners) r.unsubscribe()
      await wakeups.close()
      await Promise.all(runners.map((r) => r.stop(graceMs)))
    },
  }
}
