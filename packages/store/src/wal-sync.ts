import { type FileHandle, open } from 'node:fs/promises'
import path from 'node:path'

/**
 * Makes an SQLite WAL durable off the event loop: `afterCommit()` resolves once every frame written to
 * the WAL before the call is on disk, by an `fsync` of the WAL file on libuv's thread pool.
 *
 * Why: with `synchronous = FULL`, SQLite fsyncs the WAL inside COMMIT, and better-sqlite3 is synchronous,
 * so each commit stopped the whole process for the fsync (under load ~1 ms; a quarter of the domain
 * process's wall time in the delivery bench, docs/benchmarks.md). The driver commits with
 * `synchronous = NORMAL` instead (SQLite then writes the WAL frames without syncing them) and waits here
 * before it answers the caller. On Linux `fsync(2)` flushes the file's (inode's) dirty pages whichever
 * descriptor wrote them, and the WAL is written in order, so one fsync that starts after a commit makes it
 * and every earlier one durable: the commits of all requests waiting meanwhile share one fsync (a group
 * commit). NORMAL keeps the WAL consistent; SQLite itself syncs the WAL before and the database after each
 * checkpoint, so a WAL restarted over frames already checkpointed loses nothing.
 *
 * An fsync that fails leaves it unknown what reached the disk (the kernel may drop the dirty pages and
 * report no error the next time), so every later wait fails too: the process must restart and let SQLite
 * recover from what is on disk (PostgreSQL does the same: data_sync_retry = off).
 * @see https://sqlite.org/pragma.html#pragma_synchronous, https://sqlite.org/wal.html, fsync(2)
 */
export class WalSync {
  #handle: Promise<FileHandle> | undefined
  #running: Promise<void> | undefined
  #next: Promise<void> | undefined
  #failed: Error | undefined
  /** fsyncs made (the group commit's denominator, for tests and benchmarks). */
  syncs = 0

  /**
   * @param walFile the `-wal` file of the database
   * @param syncFile how one file is synced (default: `fsync` of a descriptor kept open); tests pass their own
   */
  constructor(
    readonly walFile: string,
    private readonly syncFile: (handle: FileHandle) => Promise<void> = (h) => h.sync(),
  ) {}

  /** Resolves once everything written to the WAL before this call is on disk. */
  afterCommit(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed)
    // An fsync already running may have started before the caller's frames were written: the caller
    // waits for the next one, which every caller arriving meanwhile shares.
    if (this.#running) {
      this.#next ??= this.#running
        .catch(() => {})
        .then(() => {
          this.#next = undefined
          return this.afterCommit()
        })
      return this.#next
    }
    const running = this.#sync().finally(() => {
      this.#running = undefined
    })
    this.#running = running
    return running
  }

  async #sync(): Promise<void> {
    try {
      const first = !this.#handle
      this.#handle ??= open(this.walFile, 'r')
      const handle = await this.#handle
      this.syncs++
      await this.syncFile(handle)
      // The WAL's (and a new database's) name in its folder survives a power loss too, as SQLite makes
      // sure on the first sync of a WAL it created.
      if (first) await syncFolder(path.dirname(this.walFile))
    } catch (e) {
      this.#failed = new Error(`the database's write-ahead log could not be synced to disk: ${String(e)}`, {
        cause: e,
      })
      throw this.#failed
    }
  }

  async close(): Promise<void> {
    const handle = this.#handle
    this.#handle = undefined
    await this.#running?.catch(() => {})
    await this.#next?.catch(() => {})
    await (await handle?.catch(() => undefined))?.close()
  }
}

async function syncFolder(dir: string): Promise<void> {
  const folder = await open(dir, 'r')
  try {
    await folder.sync()
  } finally {
    await folder.close()
  }
}
