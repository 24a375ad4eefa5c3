import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, truncate, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough, Readable, Writable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ContentMismatchError,
  ResourceAbortedError,
  ResourceStore,
  ResourceTooLargeError,
} from '../src/resources.ts'
import { cid } from './helpers.ts'

let dir: string
let store: ResourceStore

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fz-res-'))
  store = new ResourceStore(path.join(dir, 'resources'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function* chunks(parts: Array<string | Error>) {
  for (const p of parts) {
    if (p instanceof Error) throw p
    yield Buffer.from(p)
  }
}

/** Every file left under the store folder, temp files included. */
async function allFiles(): Promise<string[]> {
  try {
    return (await readdir(store.dir, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => d.name)
  } catch {
    return []
  }
}

describe('ResourceStore', () => {
  it('streams, hashes and renames into <first two chars>/<contentId>', async () => {
    const { contentId, size } = await store.write(chunks(['hello ', 'world']), { maxBytes: 100 })
    expect(contentId).toBe(cid('hello world'))
    expect(size).toBe(11)
    expect(store.path(contentId)).toBe(path.join(store.dir, contentId.slice(0, 2), contentId))
    expect(await readFile(store.path(contentId), 'utf8')).toBe('hello world')
    expect(await store.has(contentId)).toBe(true)
    expect(await allFiles()).toEqual([contentId])
  })

  it('accepts a node Readable and large multi-chunk input', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x61)
    const { contentId, size } = await store.write(
      Readable.from([big.subarray(0, 1000), big.subarray(1000)]),
      {
        maxBytes: big.length,
      },
    )
    expect(size).toBe(big.length)
    expect(contentId).toBe(cid(big))
  })

  it('writes several MiB byte for byte from odd-sized chunks whose buffer the source then reuses, three at once', async () => {
    // The store copies each chunk before it returns to the source (two 1 MiB buffers, each refilled only
    // once its write is done): a source that overwrites its buffer right after each chunk, as a socket
    // reader may, still leaves the right bytes on disk, and the Content-ID names the bytes on disk.
    const datas = [0, 1, 2].map(() => randomBytes(5 * 1024 * 1024 + 4321))
    async function* reusing(data: Buffer) {
      const scratch = Buffer.alloc(77_777)
      for (let pos = 0; pos < data.length; pos += scratch.length) {
        const n = data.copy(scratch, 0, pos, pos + scratch.length)
        yield scratch.subarray(0, n)
        scratch.fill(0xee)
        await new Promise((r) => setImmediate(r))
      }
    }
    const written = await Promise.all(datas.map((d) => store.write(reusing(d), { maxBytes: d.length })))
    for (const [i, w] of written.entries()) {
      expect(w.contentId).toBe(cid(datas[i] as Buffer))
      expect((await readFile(store.path(w.contentId))).equals(datas[i] as Buffer)).toBe(true)
    }
    // A small resource of a known size, and an empty one.
    const small = await store.write(chunks(['tiny ', 'body']), { maxBytes: 9 })
    expect(await readFile(store.path(small.contentId), 'utf8')).toBe('tiny body')
    const empty = await store.write(chunks([]), { maxBytes: 0 })
    expect((await readFile(store.path(empty.contentId))).length).toBe(0)
  })

  it('dedupes: one file of the same bytes, with a fresh mtime (the collector grace), and no temp file', async () => {
    const a = await store.write(chunks(['same']), { maxBytes: 10 })
    const old = new Date(Date.now() - 86_400_000)
    await utimes(store.path(a.contentId), old, old)
    const b = await store.write(chunks(['sa', 'me']), { maxBytes: 10 })
    expect(b).toEqual(a)
    expect(await allFiles()).toEqual([a.contentId])
    expect((await store.stat(a.contentId))?.mtimeMs).toBeGreaterThan(Date.now() - 60_000)
    expect(await readFile(store.path(a.contentId), 'utf8')).toBe('same')
  })

  it('makes its folders again when they were removed between writes', async () => {
    const a = await store.write(chunks(['first']), { maxBytes: 10 })
    await rm(path.dirname(store.path(a.contentId)), { recursive: true })
    const b = await store.write(chunks(['first']), { maxBytes: 10 })
    expect(await readFile(store.path(b.contentId), 'utf8')).toBe('first')
    await rm(store.dir, { recursive: true })
    const c = await store.write(chunks(['second']), { maxBytes: 10 })
    expect(await readFile(store.path(c.contentId), 'utf8')).toBe('second')
  })

  it('rejects an oversized source with ResourceTooLargeError and leaves nothing', async () => {
    await expect(store.write(chunks(['12345', '67890', 'x']), { maxBytes: 10 })).rejects.toBeInstanceOf(
      ResourceTooLargeError,
    )
    expect(await allFiles()).toEqual([])
  })

  it('rejects bytes that do not match the expected Content-ID and leaves nothing', async () => {
    const err = await store
      .write(chunks(['tampered']), { maxBytes: 100, expectedContentId: cid('original') })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ContentMismatchError)
    expect((err as ContentMismatchError).code).toBe('content_mismatch')
    expect(await allFiles()).toEqual([])
  })

  it('turns an aborted source into ResourceAbortedError and leaves nothing', async () => {
    await expect(
      store.write(chunks(['part', new Error('socket hang up')]), { maxBytes: 100 }),
    ).rejects.toBeInstanceOf(ResourceAbortedError)
    expect(await allFiles()).toEqual([])
  })

  it('reads a small resource whole; nothing when it is absent, over the limit or not a Content-ID', async () => {
    const bytes = randomBytes(100_000)
    const contentId = await put(bytes)
    expect((await store.readSmall(contentId, 100_000))?.equals(bytes)).toBe(true)
    expect(await store.readSmall(contentId, 99_999)).toBeUndefined()
    expect(await store.readSmall(cid('never stored'), 100_000)).toBeUndefined()
    expect(await store.readSmall('../../etc/passwd', 100_000)).toBeUndefined()
    const empty = await put(Buffer.alloc(0))
    expect((await store.readSmall(empty, 10))?.length).toBe(0)
  })

  it('refuses a path for something that is not a Content-ID', () => {
    expect(() => store.path('../../etc/passwd')).toThrow(/not a Content-ID/)
  })
})

/** A receiver that keeps a COPY of every chunk only when its write is flushed, after a delay (a slow socket). */
function slowSink(delayMs = 1): { out: Writable; bytes(): Buffer } {
  const got: Buffer[] = []
  const out = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, cb) {
      setTimeout(() => {
        got.push(Buffer.from(chunk))
        cb()
      }, delayMs)
    },
  })
  return { out, bytes: () => Buffer.concat(got) }
}

async function put(bytes: Buffer): Promise<string> {
  return (await store.write(Readable.from([bytes]), { maxBytes: bytes.length + 1 })).contentId
}

describe('ResourceStore.sendTo (reused buffers, each reused only once its write is flushed)', () => {
  it('sends a resource of several MiB byte for byte, twice at once, through slow receivers', async () => {
    const a = randomBytes(5 * 1024 * 1024 + 123)
    const b = randomBytes(3 * 1024 * 1024 + 7)
    const [ida, idb] = [await put(a), await put(b)]
    const sa = slowSink()
    const sb = slowSink()
    await Promise.all([store.sendTo(ida, sa.out), store.sendTo(idb, sb.out)])
    expect(sa.bytes().equals(a)).toBe(true)
    expect(sb.bytes().equals(b)).toBe(true)
    // The buffers went back and serve the next send unchanged.
    const again = slowSink()
    await store.sendTo(ida, again.out)
    expect(again.bytes().equals(a)).toBe(true)
  })

  it('sends an inclusive byte range, across a buffer boundary', async () => {
    const a = randomBytes(3 * 1024 * 1024)
    const id = await put(a)
    const sink = slowSink(0)
    await store.sendTo(id, sink.out, { start: 1024 * 1024 - 10, end: 2 * 1024 * 1024 + 9 })
    expect(sink.bytes().equals(a.subarray(1024 * 1024 - 10, 2 * 1024 * 1024 + 10))).toBe(true)
  })

  it('sends an empty resource as nothing, and does not end the receiver', async () => {
    const id = await put(Buffer.alloc(0))
    const sink = slowSink(0)
    await store.sendTo(id, sink.out)
    expect(sink.bytes()).toHaveLength(0)
    expect(sink.out.writableEnded).toBe(false)
  })

  it('rejects (and does not hang) when the receiver closes mid-send', async () => {
    const id = await put(randomBytes(4 * 1024 * 1024))
    const out = new PassThrough({ highWaterMark: 1 }) // never read: its writes are never flushed
    const sending = store.sendTo(id, out)
    setTimeout(() => out.destroy(), 20)
    await expect(sending).rejects.toThrow(/closed/)
  })

  it('rejects when the file is shorter than the range asked for, and when it is missing', async () => {
    const id = await put(randomBytes(2 * 1024 * 1024))
    await truncate(store.path(id), 1000)
    await expect(store.sendTo(id, slowSink(0).out, { start: 0, end: 1999 })).rejects.toThrow(
      /ended before byte 1000/,
    )
    await expect(store.sendTo('A'.repeat(43), slowSink(0).out)).rejects.toThrow(/ENOENT/)
  })
})
