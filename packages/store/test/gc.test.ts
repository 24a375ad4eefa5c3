import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { QUEUE_LIFETIME_SECONDS } from '@federizer/node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import { collectGarbage } from '../src/gc.ts'
import { insertMessage } from '../src/messages.ts'
import { enqueueOutbox, FETCH_WINDOW_SECONDS } from '../src/outbox.ts'
import { ResourceStore } from '../src/resources.ts'
import { recordUpload } from '../src/uploads.ts'
import { placeholder, tempDb } from './helpers.ts'

let db: Db
let dir: string
let cleanup: () => Promise<void>
let store: ResourceStore
const alice = 'alice@example.com'

beforeEach(async () => {
  ;({ db, dir, cleanup } = await tempDb())
  store = new ResourceStore(path.join(dir, 'resources'))
})
afterEach(async () => cleanup())

async function put(text: string) {
  async function* src() {
    yield Buffer.from(text)
  }
  return store.write(src(), { maxBytes: 1000 })
}

describe('collectGarbage', () => {
  it('keeps referenced and young files, removes lapsed uploads, keeps outbox resources for queue + fetch window', async () => {
    const now = Math.floor(Date.now() / 1000)
    const kept = await put('in a message')
    const orphan = await put('uploaded then abandoned')
    const queued = await put('only in the outbox')
    await insertMessage(db, {
      account: alice,
      mailboxRole: 'inbox',
      placeholder: placeholder({
        from: 'b@x.net',
        to: [alice],
        subject: 's',
        messageId: '<1@x>',
        text: 'in a message',
      }),
    })
    await recordUpload(db, {
      account: alice,
      contentId: orphan.contentId,
      size: orphan.size,
      mediaType: 'text/plain',
      now,
    })
    await enqueueOutbox(db, {
      account: alice,
      messageRowId: 'm_gone',
      recipientDomain: 'example.net',
      recipients: ['bob@example.net'],
      placeholder: {},
      dpopKey: { privateJwk: {}, publicJwk: {} },
      contentIds: [queued.contentId],
      holdUntil: now + 10,
      now,
      lifetimeSeconds: QUEUE_LIFETIME_SECONDS,
    })

    // Within the grace period nothing goes.
    expect((await collectGarbage(db, store, { now })).filesRemoved).toBe(0)
    // Two days later: the upload lapsed; the outbox reference still holds.
    const later = now + 2 * 24 * 3600
    const r1 = await collectGarbage(db, store, { now: later, graceSeconds: 0 })
    expect(r1).toMatchObject({ uploadsRemoved: 1, filesRemoved: 1 })
    expect(await store.has(orphan.contentId)).toBe(false)
    expect(await store.has(kept.contentId)).toBe(true)
    expect(await store.has(queued.contentId)).toBe(true)
    // After the queue lifetime plus the fetch window the outbox reference lapses too.
    const r2 = await collectGarbage(db, store, {
      now: now + QUEUE_LIFETIME_SECONDS + FETCH_WINDOW_SECONDS + 1,
      graceSeconds: 0,
    })
    expect(r2.filesRemoved).toBe(1)
    expect(await store.has(queued.contentId)).toBe(false)
    expect(await store.has(kept.contentId)).toBe(true)
    const left = await readdir(store.dir, { recursive: true })
    expect(left.filter((n) => n.includes('.tmp-'))).toEqual([])
  })
})
