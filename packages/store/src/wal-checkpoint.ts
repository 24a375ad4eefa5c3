import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/** Commits between two checkpoints: SQLite's own default (1,000 WAL pages) is some 20–50 of ours. */
export const CHECKPOINT_EVERY_COMMITS = 32

/**
 * The worker: its own connection to the file; per message a PASSIVE checkpoint (copies what it can, waits
 * for nobody), then a RESTART one that copies the rest and lets the next writer start the WAL from its
 * beginning. PASSIVE alone never catches up with a writer that keeps committing, and the WAL would grow
 * without end; RESTART waits (busy_timeout) for the writer of the moment and holds new writers off while
 * it copies the few frames PASSIVE left, the writers' BEGIN retrying off their event loop meanwhile
 * (sqlite-driver.ts). Failures are posted back, never thrown.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
let db
try {
  const Database = require(workerData.driver)
  db = new Database(workerData.file, { fileMustExist: true })
  db.pragma('busy_timeout = ' + workerData.waitMs)
} catch (e) {
  parentPort.postMessage({ ok: false, error: String((e && e.message) || e) })
}
parentPort.on('message', (message) => {
  if (message === 'close' || !db) {
    if (db) db.close()
    parentPort.close()
    return
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
    const [result] = db.pragma('wal_checkpoint(RESTART)')
    parentPort.postMessage({ ok: true, result })
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String((e && e.message) || e) })
  }
})
`

/** How long the RESTART checkpoint waits for the writer and readers of the moment before it gives up. */
const CHECKPOINT_WAIT_MS = 50

/** One checkpoint's answer (https://sqlite.org/pragma.html#pragma_wal_checkpoint). */
export interface CheckpointResult {
  /** 1 when the writer or a reader of the moment outlasted the wait: the WAL restarts next time. */
  busy: number
  /** Frames in the WAL, and how many of them are now in the database file. */
  log: number
  checkpointed: number
}

/**
 * Checkpoints an SQLite database's WAL on a worker thread, so that copying the WAL into the database file
 * and its two fsyncs never stop the event loop. SQLite otherwise runs the checkpoint inside the COMMIT
 * that takes the WAL past 1,000 pages (`wal_autocheckpoint`), and better-sqlite3 is synchronous: that
 * commit's caller, and every request of the process, waited for it (measured: 5 % of the text rate,
 * docs/benchmarks.md). The writer's connection is set to `wal_autocheckpoint = 0` by the caller; this
 * class asks the worker for a checkpoint (see WORKER_SOURCE) every `everyCommits` commits, one at a time.
 * SQLite syncs the WAL before and the database after each checkpoint, so durability is what it was
 * (wal-sync.ts). A writer that meets the RESTART's short hold waits off its event loop
 * (sqlite-driver.ts), a reader is never held.
 *
 * A worker that fails (it could not open the file, a checkpoint raised an error) hands checkpoints back to
 * SQLite: `onFailure` turns `wal_autocheckpoint` on again on the writer's connection, so the WAL never
 * grows without bound.
 * @see https://sqlite.org/wal.html#checkpointing, https://sqlite.org/c3ref/wal_checkpoint_v2.html
 */
export class WalCheckpointer {
  #worker: Worker | undefined
  #since = 0
  #running = false
  #failed = false
  #closed: Promise<void> | undefined
  /** Checkpoints the worker completed (for tests and benchmarks). */
  checkpoints = 0
  last: CheckpointResult | undefined

  /**
   * @param file the database file (it exists: the writer's connection opened it)
   * @param onFailure called once if the worker fails; checkpoints are then SQLite's again
   * @param everyCommits commits between two checkpoints; the worker starts at the first checkpoint, so a
   *   store that is open for a few writes (a CLI command, a test) never starts one
   */
  constructor(
    private readonly file: string,
    private readonly onFailure: (error: Error) => void,
    private readonly everyCommits = CHECKPOINT_EVERY_COMMITS,
  ) {}

  #start(): Worker {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3')
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file: this.file, driver, waitMs: CHECKPOINT_WAIT_MS },
    })
    // Never what keeps a process alive; close() ends it.
    worker.unref()
    worker.on('message', (m: { ok: true; result: CheckpointResult } | { ok: false; error: string }) => {
      this.#running = false
      if (m.ok) {
        this.checkpoints++
        this.last = m.result
      } else this.#fail(new Error(`a WAL checkpoint of ${this.file} failed: ${m.error}`))
    })
    worker.on('error', (e) =>
      this.#fail(new Error(`the WAL checkpoint worker failed: ${String(e?.message ?? e)}`)),
    )
    return worker
  }

  /** Counts one commit; every `everyCommits` of them, asks for a checkpoint unless one is running. */
  committed(): void {
    if (this.#failed || this.#closed) return
    if (++this.#since < this.everyCommits || this.#running) return
    this.#since = 0
    this.#running = true
    this.#worker ??= this.#start()
    this.#worker.postMessage('checkpoint')
  }

  /** True once checkpoints went back to SQLite's own (the worker failed). */
  get failed(): boolean {
    return this.#failed
  }

  #fail(error: Error): void {
    if (this.#failed) return
    this.#failed = true
    this.#running = false
    this.onFailure(error)
    void this.#worker?.terminate()
  }

  /** Closes the worker's connection (the writer's, closed last, checkpoints what is left). */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      const worker = this.#worker
      if (!worker || this.#failed) return resolve()
      worker.once('exit', () => resolve())
      // Kept alive until it has closed its connection (an unref'd worker would not hold the process).
      worker.ref()
      worker.postMessage('close')
    })
    return this.#closed
  }
}
