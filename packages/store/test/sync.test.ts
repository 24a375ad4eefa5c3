import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import { createMailbox, mailboxByRole } from '../src/mailboxes.ts'
import { deleteMessages, insertMessage, moveMessages, setKeywords } from '../src/messages.ts'
import { getChanges, getSyncState, InvalidSyncStateError, pruneTombstones } from '../src/sync.ts'
import { placeholder, tempDb } from './helpers.ts'

let db: Db
let cleanup: () => Promise<void>
const alice = 'alice@example.com'

beforeEach(async () => {
  ;({ db, cleanup } = await tempDb())
})
afterEach(async () => cleanup())

/** The client's view: id → modseq-free snapshot of what it last fetched (here: keywords + mailbox). */
async function snapshot(): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('messages')
    .select(['id', 'keywords', 'mailbox_id'])
    .where('account', '=', alice)
    .execute()
  return new Map(rows.map((r) => [r.id, `${r.mailbox_id} ${r.keywords}`]))
}

/** A client that pulls changes from `since` page by page and applies them to `view`. */
async function pull(view: Map<string, string>, since: string, max: number): Promise<string> {
  let state = since
  for (let guard = 0; guard < 1000; guard++) {
    const c = await getChanges(db, alice, state, max)
    if (c.kind !== 'changes') throw new Error('unexpected cannotCalculateChanges')
    const now = await snapshot()
    for (const id of [...c.created, ...c.updated]) {
      const v = now.get(id)
      if (v !== undefined) view.set(id, v)
    }
    for (const id of c.destroyed) view.delete(id)
    expect(c.created.length + c.updated.length + c.destroyed.length).toBeLessThanOrEqual(max)
    state = c.newState
    if (!c.hasMore) return state
  }
  throw new Error('changes never finished')
}

describe('sync', () => {
  it('from the empty state and from every intermediate state, paged or not, converges', async () => {
    const states: Array<{ state: string; view: Map<string, string> }> = [
      { state: await getSyncState(db, alice), view: new Map() },
    ]
    const record = async () => states.push({ state: await getSyncState(db, alice), view: await snapshot() })
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      ids.push(
        (
          await insertMessage(db, {
            account: alice,
            mailboxRole: 'inbox',
            placeholder: placeholder({
              from: 'b@x.net',
              to: [alice],
              subject: `s${i}`,
              messageId: `<${i}@x>`,
            }),
          })
        ).id,
      )
      await record()
    }
    const folder = await createMailbox(db, alice, 'F')
    await record()
    await setKeywords(db, alice, { ids: [ids[0]!, ids[1]!], add: ['$seen'] })
    await record()
    await moveMessages(db, alice, { ids: [ids[2]!], mailboxId: folder.id })
    await record()
    await deleteMessages(db, alice, [ids[3]!])
    await deleteMessages(db, alice, [ids[3]!])
    await record()
    await deleteMessages(db, alice, [ids[4]!])
    await record()

    const final = await snapshot()
    const finalState = await getSyncState(db, alice)
    for (const start of states) {
      for (const max of [1, 2, 3, 100]) {
        const view = new Map(start.view)
        const end = await pull(view, start.state, max)
        expect(end).toBe(finalState)
        expect(view).toEqual(final)
      }
    }
  }, 30_000)

  it('reports mailbox changes and nothing when up to date', async () => {
    const s0 = await getSyncState(db, alice)
    await createMailbox(db, alice, 'X')
    const c = await getChanges(db, alice, s0, 10)
    expect(c).toMatchObject({ kind: 'changes', mailboxesChanged: true, hasMore: false })
    const c2 = await getChanges(db, alice, await getSyncState(db, alice), 10)
    expect(c2).toMatchObject({
      kind: 'changes',
      created: [],
      updated: [],
      destroyed: [],
      mailboxesChanged: false,
    })
  })

  it('answers cannotCalculateChanges past the horizon, and rejects malformed or future states', async () => {
    await mailboxByRole(db, alice, 'inbox')
    const old = await getSyncState(db, alice)
    const { id } = await insertMessage(db, {
      account: alice,
      mailboxRole: 'inbox',
      placeholder: placeholder({ from: 'b@x.net', to: [alice], subject: 's', messageId: '<1@x>' }),
    })
    await deleteMessages(db, alice, [id])
    await deleteMessages(db, alice, [id])
    await pruneTombstones(db, { keepLast: 0 })
    const c = await getChanges(db, alice, old, 10)
    expect(c).toEqual({ kind: 'cannotCalculateChanges', newState: await getSyncState(db, alice) })
    await expect(getChanges(db, alice, 'abc', 10)).rejects.toBeInstanceOf(InvalidSyncStateError)
    await expect(getChanges(db, alice, '999999', 10)).rejects.toBeInstanceOf(InvalidSyncStateError)
  })
})

describe('delivery status and content arrival reach the webmail through sync', () => {
  it('recordDeliveryStatus and setContentState report the message as updated', async () => {
    const { recordDeliveryStatus, deliveryStatusFor } = await import('../src/outbox.ts')
    const { setContentState } = await import('../src/messages.ts')
    const { id } = await insertMessage(db, {
      account: alice,
      mailboxRole: 'sent',
      placeholder: placeholder({ from: alice, to: ['bob@x.net'], subject: 's', messageId: '<d1@x>' }),
    })
    const s0 = await getSyncState(db, alice)
    await recordDeliveryStatus(db, { messageRowId: id, recipient: 'Bob@X.net', state: 'delivered' })
    expect(await getChanges(db, alice, s0, 10)).toMatchObject({ created: [], updated: [id], destroyed: [] })
    expect((await deliveryStatusFor(db, [id])).map((r) => [r.recipient, r.state])).toEqual([
      ['bob@x.net', 'delivered'],
    ])
    await recordDeliveryStatus(db, {
      messageRowId: id,
      recipient: 'bob@x.net',
      state: 'failed',
      detail: 'no such user',
    })
    expect((await deliveryStatusFor(db, [id]))[0]).toMatchObject({ state: 'failed', detail: 'no such user' })
    const s1 = await getSyncState(db, alice)
    await setContentState(db, { id, contentState: 'complete' })
    expect(await getChanges(db, alice, s1, 10)).toMatchObject({ updated: [id] })
  })
})
