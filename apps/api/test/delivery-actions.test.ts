import { createUser, recordDeliveryStatus } from '@federizer/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errorOf, type Harness, now, startApi } from './harness.ts'

// The sender's "Retry now" / "Cancel" on a delivery that is retrying or failed (issue 16 "Failures").
// The MTA is not running here (workers: false); its outcome is written as the MTA writes it.

let h: Harness
const alice = 'alice@example.com'
const mallory = 'mallory@example.com'

beforeAll(async () => {
  h = await startApi({ gateway: true })
  await createUser(h.api.ctx.db, { email: alice, password: 'correct horse battery', name: 'Alice' })
  await createUser(h.api.ctx.db, { email: mallory, password: 'correct horse battery', name: 'Mallory' })
})
afterAll(async () => h?.close())

const rows = (messageRowId: string) =>
  h.api.ctx.db.selectFrom('outbox').selectAll().where('message_row_id', '=', messageRowId).execute()

/** Sends to bob@nowhere.example and records a failed attempt, as the MTA does. */
async function sentAndFailed(state: 'queued' | 'failed', extra: Record<string, unknown> = {}) {
  const a = await h.client(alice)
  const draft = await a.draft.save.mutate({
    to: [{ address: 'bob@nowhere.example' }],
    subject: 'Hi',
    text: 'x',
  })
  await a.send.submit.mutate({ draftId: draft.id })
  await h.api.ctx.db
    .updateTable('outbox')
    .set({ state, attempts: 3, next_attempt_at: now() + 3600, last_error: 'querySrv ENOTFOUND', ...extra })
    .where('message_row_id', '=', draft.id)
    .execute()
  await recordDeliveryStatus(h.api.ctx.db, {
    messageRowId: draft.id,
    recipient: 'bob@nowhere.example',
    state: state === 'failed' ? 'failed' : 'delayed',
    detail: 'querySrv ENOTFOUND _federizer._rs._tcp.nowhere.example',
  })
  return { a, id: draft.id }
}

describe('send.retry and send.cancel', () => {
  it('retry now makes a failed delivery due at once and shows it queued again', async () => {
    const { a, id } = await sentAndFailed('failed')
    expect(await a.send.retry.mutate({ messageId: id })).toEqual({ count: 1 })
    const [row] = await rows(id)
    expect(row?.state).toBe('queued')
    expect(Number(row?.next_attempt_at)).toBeLessThanOrEqual(now())
    const [view] = (await a.message.get.query({ ids: [id] })).messages
    expect(view?.deliveryStatus.map((s) => s.state)).toEqual(['queued'])
  })

  it('cancel stops a retrying delivery for good and says so on the sent copy', async () => {
    const { a, id } = await sentAndFailed('queued')
    expect(await a.send.cancel.mutate({ messageId: id })).toEqual({ count: 1 })
    expect((await rows(id)).map((r) => r.state)).toEqual(['cancelled'])
    const [view] = (await a.message.get.query({ ids: [id] })).messages
    expect(view?.deliveryStatus.map((s) => s.state)).toEqual(['cancelled'])
    // Nothing left to retry or cancel.
    const again = await errorOf(a.send.retry.mutate({ messageId: id }))
    expect(again.code).toBe('CONFLICT')
    expect(again.message).toBe('Nothing is waiting to be delivered for this message.')
  })

  it('refuses while an attempt is running, once the queue lifetime is over, and for another account', async () => {
    const running = await sentAndFailed('queued', { lease_until: now() + 60 })
    const busy = await errorOf(running.a.send.cancel.mutate({ messageId: running.id }))
    expect(busy.code).toBe('CONFLICT')
    expect(busy.message).toMatch(/running right now/)
    expect((await rows(running.id)).map((r) => r.state)).toEqual(['queued'])

    const old = await sentAndFailed('failed', { expires_at: now() - 1 })
    const expired = await errorOf(old.a.send.retry.mutate({ messageId: old.id }))
    expect(expired.message).toMatch(/Send it again as a new message/)
    expect((await rows(old.id)).map((r) => r.state)).toEqual(['failed'])

    const m = await h.client(mallory)
    const foreign = await errorOf(m.send.cancel.mutate({ messageId: old.id }))
    expect(foreign.code).toBe('NOT_FOUND')
    expect((await rows(old.id)).map((r) => r.state)).toEqual(['failed'])
  })
})
