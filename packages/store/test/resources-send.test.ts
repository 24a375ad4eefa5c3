import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, truncate } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough, Readable, Writable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ResourceStore } from '../src/resources.ts'

let dir: string
let store: ResourceStore

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fz-send-'))
  store = new ResourceStore(path.join(dir, 'resources'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
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
