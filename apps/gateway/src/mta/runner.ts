import type { Logger } from 'pino'

export interface QueueRunnerOptions<Row> {
  name: string
  concurrency: number
  /** The longest idle sleep: the safety net that finds work no wake-up announced. */
  pollIntervalMs: number
  logger: Logger
  /**
   * Milliseconds until a row not claimable now becomes claimable (a retry, a lapsing lease), or
   * undefined when none will: an idle runner sleeps until then rather than the whole poll interval.
   */
  nextDueInMs?(): Promise<number | undefined>
  /**
   * Claims up to `limit` due rows not in `exclude`; `running` counts this runner's jobs per destination.
   * Fewer than `limit` rows means nothing else is claimable now (`claimDue` reads past full destinations),
   * so the runner sleeps until woken instead of claiming again at once.
   */
  claim(limit: number, exclude: ReadonlySet<string>, running: ReadonlyMap<string, number>): Promise<Row[]>
  id(row: Row): string
  /** The peer domain a row talks to (per-destination concurrency, see `claimDue`). */
  destination?(row: Row): string
  /** How many rows of `destination` may run at once: a wake for full destinations only is ignored. */
  capacity?(destination: string): number
  /** Runs one row; must record its own outcome. `signal` aborts when the runner stops. */
  run(row: Row, signal: AbortSignal): Promise<void>
  /** Called for a row whose run was aborted by stop (gives the lease back). */
  release(row: Row): Promise<void>
}

export interface QueueRunner {
  /**
   * Rows were queued (for `destinations`, when the waker knows them): claim now. A wake whose every
   * destination is at its capacity is dropped: the finish of one of its jobs wakes the runner anyway.
   */
  wake(destinations?: readonly string[]): void
  /**
   * Stops claiming, lets running rows finish for up to `graceMs` (graceful shutdown finishes in-flight
   * work), then aborts the rest, which give their leases back, and waits for them.
   */
  stop(graceMs?: number): Promise<void>
}

/**
 * Runs one queue: claims as many rows as it has free slots, runs them concurrently; when idle sleeps
 * until woken (`wake`: rows were queued), until the next row comes due (`nextDueInMs`), or at most
 * `pollIntervalMs`. `stop` lets running rows finish for a grace period, then aborts them.
 */
export function startQueueRunner<Row>(options: QueueRunnerOptions<Row>): QueueRunner {
  const inflight = new Map<string, Promise<void>>()
  const perDestination = new Map<string, number>()
  const controller = new AbortController()
  let running = true
  let wakeUp: (() => void) | undefined
  // A wake that arrives while the loop is claiming is remembered, so the next sleep is skipped.
  let pending = false
  const wake = () => {
    pending = true
    wakeUp?.()
  }
  const capacity = options.capacity
  const full = (d: string) => capacity !== undefined && (perDestination.get(d) ?? 0) >= capacity(d)
  const wakeFor = (destinations?: readonly string[]) => {
    if (destinations && destinations.length > 0 && destinations.every(full)) return
    wake()
  }
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (pending) {
        pending = false
        resolve()
        return
      }
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        wakeUp = undefined
        pending = false
        resolve()
      }
      wakeUp = done
    })

  const idleSleepMs = async () => {
    // A poll of a second or less finds a row as soon as its whole-second due time could.
    if (!options.nextDueInMs || options.pollIntervalMs <= 1000) return options.pollIntervalMs
    try {
      const due = await options.nextDueInMs()
      return due === undefined ? options.pollIntervalMs : Math.min(options.pollIntervalMs, Math.max(10, due))
    } catch (e) {
      options.logger.error({ err: e, queue: options.name }, 'queue due-time lookup failed')
      return options.pollIntervalMs
    }
  }

  const loop = async () => {
    while (running) {
      const free = options.concurrency - inflight.size
      let claimed: Row[] = []
      if (free > 0) {
        try {
          claimed = await options.claim(free, new Set(inflight.keys()), perDestination)
        } catch (e) {
          if (!running) break
          options.logger.error({ err: e, queue: options.name }, 'queue claim failed')
        }
      }
      for (const row of claimed) {
        const id = options.id(row)
        const destination = options.destination?.(row)
        if (destination !== undefined)
          perDestination.set(destination, (perDestination.get(destination) ?? 0) + 1)
        const task = options
          .run(row, controller.signal)
          .catch(async (e) => {
            if (controller.signal.aborted) {
              await options.release(row).catch(() => {})
              return
            }
            options.logger.error({ err: e, queue: options.name, id }, 'queue job failed unexpectedly')
            await options.release(row).catch(() => {})
          })
          .finally(() => {
            inflight.delete(id)
            if (destination !== undefined) {
              const left = (perDestination.get(destination) ?? 1) - 1
              if (left <= 0) perDestination.delete(destination)
              else perDestination.set(destination, left)
            }
            wake()
          })
        inflight.set(id, task)
      }
      if (!running) break
      if (inflight.size >= options.concurrency) await sleep(options.pollIntervalMs)
      else if (claimed.length < free) await sleep(await idleSleepMs())
    }
  }
  const done = loop()
  return {
    wake: wakeFor,
    async stop(graceMs = 0) {
      running = false
      wake()
      await done
      const finished = Promise.allSettled([...inflight.values()])
      const timer = setTimeout(() => controller.abort(), graceMs)
      await finished
      clearTimeout(timer)
    },
  }
}
