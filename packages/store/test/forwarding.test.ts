import { QUEUE_LIFETIME_SECONDS } from '@federizer/node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import {
  enqueueOutbox,
  getAutoForward,
  getAutoForwardSettings,
  getForwarding,
  outboxRowsForMessage,
  retryUntilByRecipient,
  setAutoForward,
  setAutoForwardEnabled,
} from '../src/index.ts'
import { tempDb } from './helpers.ts'

let db: Db
let cleanup: () => Promise<void>
const ME = 'bob@example.net'

beforeEach(async () => {
  ;({ db, cleanup } = await tempDb())
})
afterEach(() => cleanup())

describe('auto-forward switched off keeps the address (issue 16)', () => {
  it('reads nothing in effect before anything is set, with keep-a-copy as the default', async () => {
    expect(await getForwarding(db, ME)).toEqual({ to: [], keepCopy: true, enabled: false })
    expect(await getAutoForwardSettings(db, ME)).toBeNull()
  })

  it('off keeps the addresses and the copy setting; delivery and the AS see no forward; on again restores it', async () => {
    await setAutoForward(db, ME, ['Bobby@Example.ORG'], { keepCopy: true })
    expect(await getAutoForward(db, ME)).toEqual(['bobby@example.org'])
    await setAutoForwardEnabled(db, ME, false)
    expect(await getForwarding(db, ME)).toEqual({ to: ['bobby@example.org'], keepCopy: true, enabled: false })
    expect(await getAutoForwardSettings(db, ME)).toBeNull()
    expect(await getAutoForward(db, ME)).toBeNull()
    await setAutoForwardEnabled(db, ME, true)
    expect(await getAutoForwardSettings(db, ME)).toEqual({ to: ['bobby@example.org'], keepCopy: true })
  })

  it('saving with enabled: false stores the addresses switched off; clearing them leaves nothing', async () => {
    await setAutoForward(db, ME, ['bobby@example.org'], { keepCopy: false, enabled: false })
    expect(await getForwarding(db, ME)).toEqual({
      to: ['bobby@example.org'],
      keepCopy: false,
      enabled: false,
    })
    await setAutoForward(db, ME, null)
    expect(await getForwarding(db, ME)).toEqual({ to: [], keepCopy: true, enabled: false })
  })

  it('switching on without addresses forwards nowhere', async () => {
    await setAutoForwardEnabled(db, ME, true)
    expect(await getAutoForwardSettings(db, ME)).toBeNull()
  })
})

describe('how long a delivery is still retried', () => {
  it('names each recipient of a row still queued with the row expiry, and none of a finished row', async () => {
    const now = 1_800_000_000
    const base = {
      account: 'alice@example.com',
      messageRowId: 'm1',
      placeholder: {},
      dpopKey: { privateJwk: {}, publicJwk: {} },
      contentIds: [],
      holdUntil: now,
      now,
      lifetimeSeconds: QUEUE_LIFETIME_SECONDS,
    }
    await enqueueOutbox(db, { ...base, recipientDomain: 'example.net', recipients: ['Bob@example.net'] })
    const done = await enqueueOutbox(db, {
      ...base,
      recipientDomain: 'example.org',
      recipients: ['c@example.org'],
    })
    await db.updateTable('outbox').set({ state: 'delivered' }).where('id', '=', done).execute()
    const until = retryUntilByRecipient(await outboxRowsForMessage(db, 'm1'))
    expect([...until.keys()]).toEqual(['bob@example.net'])
    expect(until.get('bob@example.net')).toBeGreaterThan(now)
  })
})
