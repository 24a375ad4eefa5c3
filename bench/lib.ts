import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { pipeline } from 'node:stream/promises'

/** Median, min and max of repeated measurements. */
export interface Stat {
  median: number
  min: number
  max: number
  runs: number
}

export function stat(values: number[]): Stat {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/** Writes a file of `bytes` bytes from a repeated 4 MiB random block (fast to make, not compressible). */
export async function makeFile(file: string, bytes: number): Promise<void> {
  const block = randomBytes(4 * 2 ** 20)
  const handle = await open(file, 'w')
  try {
    for (let written = 0; written < bytes; ) {
      const n = Math.min(block.length, bytes - written)
      // Vary each block a little so no two blocks are identical.
      block.writeUInt32BE(written >>> 0, 0)
      await handle.write(block, 0, n)
      written += n
    }
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** The request body written to `target`; with `fsync`, on disk before the answer. */
async function plainCopy(req: http.IncomingMessage, target: string, fsync = false): Promise<void> {
  await pipeline(req, createWriteStream(target, { highWaterMark: 4 * 2 ** 20 }))
  if (!fsync) return
  const handle = await open(target, 'r+')
  await handle.sync()
  await handle.close()
}

/** Bytes between background fdatasync calls, as the resource store (packages/store/src/resources.ts). */
const SYNC_EVERY = 64 * 2 ** 20
/** Bytes gathered before each write(2), as the resource store: one syscall per MiB, not per chunk. */
const WRITE_BATCH = 2 ** 20

/**
 * The request body copied as the resource store must keep a resource: SHA-256 over every byte while it
 * is written to a temporary file (gathered into 1 MiB writev calls, one written while the next is read),
 * a background fdatasync every 64 MiB,
 * an fsync at the end and a rename into place, before the answer. No Federizer code: the same steps by
 * hand, done as well as the store does them, the fair baseline.
 */
async function hashedDurableCopy(req: http.IncomingMessage, target: string): Promise<void> {
  const temp = `${target}.tmp`
  const hash = createHash('sha256')
  const handle = await open(temp, 'w')
  try {
    let sinceSync = 0
    let syncing: Promise<void> | undefined
    let batch: Buffer[] = []
    let batched = 0
    // One batch written while the next is read and hashed, as the store does.
    let writing: Promise<unknown> | undefined
    const flush = async () => {
      await writing
      if (batched === 0) return
      // One writev of the whole batch (short writes on a local file only at ENOSPC, which throws).
      const buffers = batch
      batch = []
      sinceSync += batched
      batched = 0
      const written = handle.writev(buffers)
      // Handled here so a failure waits for the next await (it throws there) instead of crashing the bench.
      written.catch(() => undefined)
      writing = written
      if (sinceSync >= SYNC_EVERY && !syncing) {
        sinceSync = 0
        syncing = written
          .then(() => handle.datasync())
          .finally(() => {
            syncing = undefined
          })
      }
    }
    for await (const chunk of req as AsyncIterable<Buffer>) {
      hash.update(chunk)
      batch.push(chunk)
      batched += chunk.length
      if (batched >= WRITE_BATCH) await flush()
    }
    await flush()
    await writing
    await syncing
    await handle.sync()
  } finally {
    await handle.close()
  }
  hash.digest('base64url')
  await rename(temp, target)
}

/**
 * The baselines of the transfer figures: a raw node:http upload of `file` over loopback into a file on
 * disk, no framework; plain (no hashing), with `fsync` on disk before the answer, or with `hash` copied
 * as the store keeps a resource (hashedDurableCopy). Returns MB/s (10^6 bytes per second).
 */
export async function rawLoopbackCopy(
  file: string,
  target: string,
  bytes: number,
  options: { fsync?: boolean; hash?: boolean } = {},
): Promise<number> {
  const server = http.createServer((req, res) => {
    const copied = options.hash ? hashedDurableCopy(req, target) : plainCopy(req, target, options.fsync)
    copied.then(() => res.end('ok')).catch((e) => res.destroy(e))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const started = performance.now()
  await new Promise<void>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'content-length': bytes } },
      (res) => {
        res.resume()
        res.on('end', resolve)
      },
    )
    req.on('error', reject)
    createReadStream(file, { highWaterMark: 4 * 2 ** 20 }).pipe(req)
  })
  const seconds = (performance.now() - started) / 1000
  server.close()
  await rm(target, { force: true })
  return bytes / 1e6 / seconds
}

export function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

/** Polls `probe` every `intervalMs` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 60_000,
  intervalMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/**
 * Flushes every dirty page to disk (sync(1)) so a timed step does not pay for the writeback of the one
 * before it: without it, whichever step runs first after a big write looks slow.
 */
export function settleDisk(): void {
  execFileSync('sync')
}
