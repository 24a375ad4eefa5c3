import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import { enqueueOutbox } from '../src/outbox.ts'
import {
  endOutboxAttempt,
  narrowOutboxRecipients,
  outboxRowsByIds,
  storedDpopKey,
} from '../src/outbox-attempts.ts'
import { CorruptRowError } from '../src/stored-values.ts'
import { tempDb } from './helpers.ts'

let db: Db
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ db, cleanup } = await tempDb())
})
afterEach(async () => cleanup())

const key = { privateJwk: { kty: 'EC', crv: 'P-256', d: 'x' }, publicJwk: { kty: 'EC', crv: 'P-256' } }

async function queued(recipients: string[]) {
  const id = await enqueueOutbox(db, {
    account: 'alice@example.com',
    messageRowId: 'm_1',
    recipientDomain: 'example.net',
    recipients,
    placeholder: { envelope: [], parts: [] },
    dpopKey: key,
    contentIds: [],
    holdUntil: 100,
    state: 'queued',
    now: 100,
    lifetimeSeconds: 1000,
  })
  const [row] = await outboxRowsByIds(db, [id])
  if (!row) throw new Error('the queued row is missing')
  return row
}

describe("the MTA's outbox rows (issue 11 item 3: the store owns their SQL)", () => {
  it('records a delivered, a failed and a retried attempt, giving the lease back each time', async () => {
    const row = await queued(['bob@example.net'])
    expect(row).toMatchObject({ state: 'queued', attempts: 0, expires_at: 1100 })
    await endOutboxAttempt(
      db,
      row,
      { state: 'retry', error: 'busy', nextAttemptAt: 160, delayNotified: true },
      101,
    )
    expect((await outboxRowsByIds(db, [row.id]))[0]).toMatchObject({
      state: 'queued',
      attempts: 1,
      last_error: 'busy',
      next_attempt_at: 160,
      lease_until: null,
      delay_notified: 1,
      updated_at: 101,
    })
    await endOutboxAttempt(db, { id: row.id, attempts: 1 }, { state: 'failed', error: 'refused' }, 170)
    expect((await outboxRowsByIds(db, [row.id]))[0]).toMatchObject({
      state: 'failed',
      attempts: 2,
      last_error: 'refused',
    })
    await endOutboxAttempt(db, { id: row.id, attempts: 2 }, { state: 'delivered' }, 180)
    expect((await outboxRowsByIds(db, [row.id]))[0]).toMatchObject({
      state: 'delivered',
      attempts: 3,
      last_error: null,
    })
  })

  it('a retry without a delay notice leaves delay_notified as it was', async () => {
    const row = await queued(['bob@example.net'])
    await endOutboxAttempt(
      db,
      row,
      { state: 'retry', error: 'busy', nextAttemptAt: 160, delayNotified: false },
      101,
    )
    expect((await outboxRowsByIds(db, [row.id]))[0]?.delay_notified).toBe(0)
  })

  it('keeps a row queued for its deferred recipients only', async () => {
    const row = await queued(['bob@example.net', 'carl@example.net'])
    await narrowOutboxRecipients(db, row.id, ['carl@example.net'])
    expect((await outboxRowsByIds(db, [row.id]))[0]).toMatchObject({
      state: 'queued',
      recipients: '["carl@example.net"]',
    })
    expect(await outboxRowsByIds(db, [])).toEqual([])
  })

  it('reads the DPoP key pair back and refuses a corrupt one as the store fault it is', async () => {
    const row = await queued(['bob@example.net'])
    expect(storedDpopKey(row.dpop_key)).toEqual(key)
    expect(() => storedDpopKey('{"privateJwk":', 'outbox ob_1')).toThrow(CorruptRowError)
    expect(() => storedDpopKey('{"privateJwk":{"kty":"EC"}}', 'outbox ob_1')).toThrow(
      'outbox ob_1 is not a pair of JWKs (privateJwk, publicJwk)',
    )
  })
})
