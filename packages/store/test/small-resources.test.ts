import path from 'node:path'
import { PassThrough } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import { collectGarbage } from '../src/gc.ts'
import { insertMessage } from '../src/messages.ts'
import { ContentMismatchError, ResourceStore } from '../src/resources.ts'
import { putSmallResources, SMALL_RESOURCE_MAX_BYTES } from '../src/small-resources.ts'
import { inTransaction } from '../src/tx.ts'
import { cid, placeholder, tempDb } from './helpers.ts'

let db: Db
let dir: string
let cleanup: () => Promise<void>
let store: ResourceStore
const now = 1_800_000_000

beforeEach(async () => {
  ;({ db, dir, cleanup } = await tempDb())
  store = new ResourceStore(path.join(dir, 'resources'), db)
})
afterEach(async () => cleanup())

async function sent(contentId: string, range?: { start: number; end: number }): Promise<string> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  await store.sendTo(contentId, out, range)
  return Buffer.concat(chunks).toString()
}

describe('small resources kept in the database', () => {
  it('every read of the store finds them: stat, readSmall, sendTo with and without a range, openRead', async () => {
    const body = Buffer.from('Hello Bob, the minutes are attached.')
    const id = cid(body)
    await putSmallResources(db, [{ contentId: id, bytes: body }], now)
    expect(await store.has(id)).toBe(true)
    expect(await store.stat(id)).toEqual({ size: body.length, mtimeMs: now * 1000 })
    expect((await store.readSmall(id, 1024))?.toString()).toBe(body.toString())
    // Over the caller's limit: not returned, as for a file.
    expect(await store.readSmall(id, 10)).toBeUndefined()
    expect(await sent(id)).toBe(body.toString())
    expect(await sent(id, { start: 6, end: 8 })).toBe('Bob')
    await expect(sent(id, { start: 0, end: body.length })).rejects.toMatchObject({ code: 'not_found' })
    const chunks: Buffer[] = []
    for await (const c of await store.openRead(id)) chunks.push(c as Buffer)
    expect(Buffer.concat(chunks).equals(body)).toBe(true)
  })

  it('refuses bytes that are not their Content-ID, and anything over 64 KiB, writing nothing', async () => {
    const body = Buffer.from('genuine')
    await expect(
      putSmallResources(db, [{ contentId: cid('something else'), bytes: body }], now),
    ).rejects.toBeInstanceOf(ContentMismatchError)
    const big = Buffer.alloc(SMALL_RESOURCE_MAX_BYTES + 1, 1)
    await expect(putSmallResources(db, [{ contentId: cid(big), bytes: big }], now)).rejects.toThrow(/at most/)
    expect(await store.has(cid(body))).toBe(false)
    expect(await store.has(cid(big))).toBe(false)
  })

  it('is written with the transaction that names it: a rolled-back transaction leaves no resource', async () => {
    const body = Buffer.from('a draft that never saved')
    await expect(
      inTransaction(db, async (trx) => {
        await putSmallResources(trx, [{ contentId: cid(body), bytes: body }], now)
        throw new Error('the row that names it failed')
      }),
    ).rejects.toThrow('the row that names it failed')
    expect(await store.has(cid(body))).toBe(false)
  })

  it('the collector removes the unreferenced ones past the grace period and keeps the rest', async () => {
    const named = Buffer.from('in a message')
    const orphan = Buffer.from('in nothing')
    await putSmallResources(
      db,
      [
        { contentId: cid(named), bytes: named },
        { contentId: cid(orphan), bytes: orphan },
      ],
      now,
    )
    await insertMessage(db, {
      account: 'alice@example.com',
      mailboxRole: 'inbox',
      placeholder: placeholder({
        from: 'b@x.net',
        to: ['alice@example.com'],
        subject: 's',
        messageId: '<1@x>',
        text: 'in a message',
      }),
    })
    expect((await collectGarbage(db, store, { now, graceSeconds: 60 })).smallRemoved).toBe(0)
    // Written again (the same body saved once more): the grace period counts from then.
    await putSmallResources(db, [{ contentId: cid(orphan), bytes: orphan }], now + 100)
    expect((await collectGarbage(db, store, { now: now + 120, graceSeconds: 60 })).smallRemoved).toBe(0)
    const report = await collectGarbage(db, store, { now: now + 200, graceSeconds: 60 })
    expect(report.smallRemoved).toBe(1)
    expect(await store.has(cid(orphan))).toBe(false)
    expect(await store.has(cid(named))).toBe(true)
  })
})
