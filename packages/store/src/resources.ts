import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { access, constants, type FileHandle, mkdir, open, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable, type Writable } from 'node:stream'
import type { Db } from './db.ts'
import { StoreError } from './errors.ts'
import { ContentMismatchError, ResourceAbortedError, ResourceTooLargeError } from './resource-errors.ts'
import { readSmallResource, removeSmallResource, statSmallResource } from './small-resources.ts'

export { ContentMismatchError, ResourceAbortedError, ResourceTooLargeError } from './resource-errors.ts'

const CONTENT_ID = /^[A-Za-z0-9_-]{43}$/

export function isContentId(s: string): boolean {
  return CONTENT_ID.test(s)
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number
  /** Last byte, inclusive. */
  end: number
}

/** Bytes between background fdatasync calls during a large write. */
const SYNC_EVERY = 64 * 1024 * 1024

/**
 * The size of the buffers a resource is written from (each write(2) of `write`) and sent from (each read
 * of `sendTo`): two per write or send at once.
 */
const BUFFER_BYTES = 1024 * 1024
/** Buffers kept for the next writes and sends (at most this many MiB stay allocated when idle). */
const SPARE_BUFFERS = 16

/**
 * Writes `chunk` to `out` and resolves once it is flushed (the write callback: the socket has handed it
 * to the kernel, so its buffer may be reused), or rejects when `out` fails or closes first.
 */
function flushed(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new StoreError('aborted', 'the receiver closed the connection'))
    out.once('close', onClose)
    out.write(chunk, (err) => {
      out.off('close', onClose)
      if (err) reject(err)
      else resolve()
    })
  })
}

/** Drops the first `written` bytes from `buffers` in place (after a short writev). */
function trimWritten(buffers: Uint8Array[], written: number): void {
  let n = written
  while (n > 0 && buffers.length > 0) {
    const first = buffers[0] as Uint8Array
    if (first.byteLength <= n) {
      n -= first.byteLength
      buffers.shift()
    } else {
      buffers[0] = first.subarray(n)
      n = 0
    }
  }
}

/**
 * The content-addressed resource folder: a resource's file name is its Content-ID (base64url SHA-256,
 * design §3), sharded by its first two characters. Writes go to a temp file in the same folder, are hashed
 * while written, fsynced and renamed into place (over a file of the same name: the same bytes, dedupe).
 */
export class ResourceStore {
  /** Shard folders known to exist (made once per process, not before every write). */
  private readonly shards = new Set<string>()
  /** Buffers of finished sends, reused by the next (see sendTo). */
  private readonly spare: Buffer[] = []
  /**
   * `db`: the domain's database, where small bodies are kept (small-resources.ts); every read here looks
   * there too, so a caller never asks where a resource lives. Without it the store is files only.
   */
  constructor(
    readonly dir: string,
    private readonly db?: Db,
  ) {}

  /** True when the store folder exists (it is created on demand) and this process may write into it. */
  async writable(): Promise<boolean> {
    return mkdir(this.dir, { recursive: true, mode: 0o700 })
      .then(() => access(this.dir, constants.W_OK))
      .then(
        () => true,
        () => false,
      )
  }

  /** The file path of a Content-ID (whether or not it exists). */
  path(contentId: string): string {
    if (!isContentId(contentId)) throw new StoreError('invalid_input', `"${contentId}" is not a Content-ID`)
    return path.join(this.dir, contentId.slice(0, 2), contentId)
  }

  async has(contentId: string): Promise<boolean> {
    return (await this.stat(contentId)) !== undefined
  }

  async stat(contentId: string): Promise<{ size: number; mtimeMs: number } | undefined> {
    if (!isContentId(contentId)) return undefined
    try {
      const s = await stat(this.path(contentId))
      return { size: s.size, mtimeMs: s.mtimeMs }
    } catch {
      return this.db ? statSmallResource(this.db, contentId) : undefined
    }
  }

  /** The bytes of a resource the database keeps (small-resources.ts), or undefined. */
  private async kept(contentId: string): Promise<Buffer | undefined> {
    return this.db && isContentId(contentId) ? readSmallResource(this.db, contentId) : undefined
  }

  /**
   * A readable stream of a whole resource, from the database or from its file (which the stream opens
   * as it is first read, and which fails the stream when it is missing).
   */
  async openRead(contentId: string): Promise<Readable> {
    const kept = await this.kept(contentId)
    return kept ? Readable.from([kept]) : createReadStream(this.path(contentId))
  }

  /**
   * Streams `source` into the store without ever holding it whole in memory.
   * @throws ResourceTooLargeError, ContentMismatchError, ResourceAbortedError (no temp file is left)
   */
  async write(
    source: AsyncIterable<Uint8Array> | Readable,
    options: { maxBytes: number; expectedContentId?: string },
  ): Promise<{ contentId: string; size: number }> {
    const temp = path.join(this.dir, `.tmp-${randomBytes(12).toString('hex')}`)
    // The folder is made by the first write (and again if it was removed since).
    const handle = await open(temp, 'wx', 0o600).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e
      this.shards.clear()
      await mkdir(this.dir, { recursive: true, mode: 0o700 })
      return open(temp, 'wx', 0o600)
    })
    const hash = createHash('sha256')
    let size = 0
    let closed = false
    let syncing: Promise<void> | undefined
    let syncError: unknown
    // The bytes are copied into two reused 1 MiB buffers, one filled (and hashed) while the other is
    // written, so the source is not paused for the disk. The bytes written are the bytes hashed even if
    // the source reuses its chunks' memory, and no chunk of the source is kept alive while the disk is
    // slow (kept chunks survive scavenges into the old generation, which only a mark-compact frees).
    let filling: Buffer | undefined
    let filled = 0
    let inFlight: Buffer | undefined
    let writing: Promise<void> | undefined
    let writeError: unknown
    try {
      let sinceSync = 0
      const writeAll = async (buffer: Buffer) => {
        const buffers: Uint8Array[] = [buffer]
        let left = buffer.byteLength
        // A short write: the rest again.
        while (left > 0) {
          const { bytesWritten } = await handle.writev(buffers)
          left -= bytesWritten
          if (left > 0) trimWritten(buffers, bytesWritten)
        }
      }
      const flush = async () => {
        await writing
        if (writeError) throw writeError
        if (filling === undefined || filled === 0) return
        const buffer = filling
        const total = filled
        // The buffer written last is free again: the next one to fill.
        filling = inFlight
        inFlight = buffer
        filled = 0
        writing = writeAll(buffer.subarray(0, total)).then(
          () => {
            writing = undefined
          },
          (e: unknown) => {
            writeError = e
            writing = undefined
          },
        )
        sinceSync += total
        // Start flushing to disk in the background every 64 MiB so the final fsync is short.
        if (sinceSync >= SYNC_EVERY && !syncing) {
          sinceSync = 0
          const written = writing
          syncing = written
            .then(() => handle.datasync())
            .catch((e: unknown) => {
              syncError = e
            })
            .finally(() => {
              syncing = undefined
            })
        }
      }
      try {
        for await (const chunk of source as AsyncIterable<Uint8Array>) {
          size += chunk.byteLength
          if (size > options.maxBytes) throw new ResourceTooLargeError(options.maxBytes)
          hash.update(chunk)
          for (let offset = 0; offset < chunk.byteLength; ) {
            // A resource known to be small (a pushed body) gets one buffer of its size, not a pooled one.
            filling ??=
              options.maxBytes < BUFFER_BYTES ? Buffer.allocUnsafe(options.maxBytes) : this.takeBuffer()
            const n = Math.min(chunk.byteLength - offset, filling.length - filled)
            filling.set(chunk.subarray(offset, offset + n), filled)
            filled += n
            offset += n
            if (filled === filling.length) await flush()
          }
        }
      } catch (e) {
        if (e instanceof StoreError) throw e
        throw new ResourceAbortedError(e)
      }
      await flush()
      await writing
      if (writeError) throw writeError
      await syncing
      if (syncError) throw syncError
      await handle.sync()
      await handle.close()
      closed = true
      const contentId = hash.digest('base64url')
      if (options.expectedContentId !== undefined && options.expectedContentId !== contentId) {
        throw new ContentMismatchError(options.expectedContentId, contentId)
      }
      const target = this.path(contentId)
      // Renamed over a file of the same name, if any: the same bytes (the name is their SHA-256), now
      // with a fresh mtime, so the collector's grace period protects it again; a reader of the old
      // file keeps its inode. One rename instead of a stat and then a rename or a touch.
      const shard = path.dirname(target)
      if (!this.shards.has(shard)) {
        await mkdir(shard, { recursive: true, mode: 0o700 })
        this.shards.add(shard)
      }
      await rename(temp, target).catch(async (e: NodeJS.ErrnoException) => {
        // The shard folder was removed meanwhile (by hand): made again once.
        if (e.code !== 'ENOENT') throw e
        this.shards.delete(shard)
        await mkdir(shard, { recursive: true, mode: 0o700 })
        await rename(temp, target)
      })
      return { contentId, size }
    } catch (e) {
      await writing
      await syncing
      if (!closed) await handle.close().catch(() => {})
      await rm(temp, { force: true })
      throw e
    } finally {
      // Written, or abandoned: neither buffer is in use any more.
      if (!writing) {
        if (filling) this.giveBack(filling)
        if (inFlight) this.giveBack(inFlight)
      }
    }
  }

  /** A 1 MiB buffer for a write or a send: a spare one when there is one. */
  private takeBuffer(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(BUFFER_BYTES)
  }

  /** Keeps a 1 MiB buffer no longer in use for the next write or send (at most SPARE_BUFFERS). */
  private giveBack(buffer: Buffer): void {
    if (buffer.length === BUFFER_BYTES && this.spare.length < SPARE_BUFFERS) this.spare.push(buffer)
  }

  /**
   * Sends a resource, or the inclusive byte range of it, to `out` (an HTTP response) without ending it.
   * It reads into two reused 1 MiB buffers, one read while the other is written, each reused only once
   * its write is flushed; a `createReadStream` would allocate a fresh 1 MiB Buffer per read, and in a
   * process with a ~40 MB heap every ~32 MB of such Buffers forced a scavenge that started a full
   * mark-compact (V8 `--trace-gc`: six to nine a second while a resource streamed, ~30 ms of CPU each).
   * Memory stays flat: at most 2 MiB per send, and at most 16 MiB kept for the next sends.
   * A small resource the database keeps (small-resources.ts) is written from there in one piece.
   * @throws when the resource is missing, shorter than `range`, or `out` fails or closes (nothing is ended)
   */
  async sendTo(contentId: string, out: Writable, range?: ByteRange): Promise<void> {
    let handle: FileHandle
    try {
      handle = await open(this.path(contentId), 'r')
    } catch (e) {
      const kept = await this.kept(contentId)
      if (!kept) throw e
      const end = range ? range.end + 1 : kept.length
      if (end > kept.length)
        throw new StoreError('not_found', `the resource ${contentId} ended before byte ${kept.length}`)
      await flushed(out, kept.subarray(range?.start ?? 0, end))
      return
    }
    let slots: Array<{ buffer: Buffer; written?: Promise<void> }> = []
    let clean = false
    try {
      const start = range?.start ?? 0
      const end = range ? range.end + 1 : (await handle.stat()).size
      // A resource under 1 MiB gets one buffer of its size (not pooled); a larger one two pooled 1 MiB buffers.
      const size = Math.min(BUFFER_BYTES, end - start)
      const take = () => (size === BUFFER_BYTES ? this.takeBuffer() : Buffer.allocUnsafeSlow(size))
      slots = Array.from({ length: Math.min(2, Math.ceil((end - start) / BUFFER_BYTES)) }, () => ({
        buffer: take(),
      }))
      for (let pos = start, i = 0; pos < end; i++) {
        const slot = slots[i % slots.length] as (typeof slots)[number]
        await slot.written
        const { bytesRead } = await handle.read(slot.buffer, 0, Math.min(slot.buffer.length, end - pos), pos)
        if (bytesRead === 0)
          throw new StoreError('not_found', `the resource ${contentId} ended before byte ${pos}`)
        pos += bytesRead
        slot.written = flushed(out, slot.buffer.subarray(0, bytesRead))
        // An early failure must not wait for the other slot's turn to surface.
        slot.written.catch(() => {})
      }
      await Promise.all(slots.map((s) => s.written))
      clean = true
    } finally {
      await handle.close()
      // A buffer goes back only when every write of it is known to be flushed (never after a failure).
      if (clean) for (const { buffer } of slots) this.giveBack(buffer)
    }
  }

  /**
   * Reads a small resource whole (inline text / HTML); undefined when absent or over `maxBytes`. From the
   * database when it keeps it; else one open, fstat and read into a buffer of the file's size: a
   * `createReadStream` allocates a 1 MiB buffer
   * (its highWaterMark) per read, and a sending MTA reads two bodies per message to push them, which
   * drove its V8 heap into a full collection every ~100 ms on external-memory pressure
   * (docs/benchmarks.md).
   */
  async readSmall(contentId: string, maxBytes: number): Promise<Buffer | undefined> {
    if (!isContentId(contentId)) return undefined
    // Small bodies are kept in the database (written since migration 017); older ones are files.
    const kept = await this.kept(contentId)
    if (kept) return kept.length <= maxBytes ? kept : undefined
    let handle: FileHandle
    try {
      handle = await open(this.path(contentId), 'r')
    } catch {
      return undefined
    }
    try {
      const { size } = await handle.stat()
      if (size > maxBytes) return undefined
      const bytes = Buffer.allocUnsafe(size)
      let done = 0
      while (done < size) {
        const { bytesRead } = await handle.read(bytes, done, size - done, done)
        if (bytesRead === 0) break
        done += bytesRead
      }
      return done === size ? bytes : bytes.subarray(0, done)
    } finally {
      await handle.close()
    }
  }

  /** Deletes a resource file (the garbage collector's job; callers check references first). */
  async remove(contentId: string): Promise<void> {
    await rm(this.path(contentId), { force: true })
    if (this.db) await removeSmallResource(this.db, contentId)
  }
}
