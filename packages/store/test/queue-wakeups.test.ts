import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Db, openDatabase } from '../src/db.ts'
import {
  LISTENER_APPLICATION_NAME,
  nextClaimableAt,
  type QueueWakeups,
  startQueueWakeups,
} from '../src/queue-wakeups.ts'
import { tempDb, testDialect } from './helpers.ts'

let db: Db
let location: string
let cleanup: () => Promise<void>
let wakeups: QueueWakeups | undefined

beforeEach(async () => {
  ;({ db, location, cleanup } = await tempDb())
})
afterEach(async () => {
  await wakeups?.close()
  wakeups = undefined
  await cleanup()
})

const job = (
  id: string,
  fields: { next_attempt_at?: number; lease_until?: number | null; state?: string },
) => ({
  id,
  account: 'bob@example.com',
  message_row_id: `m_${id}`,
  forward_to: '[]',
  placeholder: '{}',
  state: (fields.state ?? 'queued') as 'queued',
  attempts: 0,
  next_attempt_at: fields.next_attempt_at ?? 0,
  lease_until: fields.lease_until ?? null,
  expires_at: 1e9,
  last_error: null,
  created_at: 0,
  updated_at: 0,
})

/** Counts the wake-ups of each subscribed queue. */
function counter(w: QueueWakeups) {
  const counts = { outbox: 0, forward_jobs: 0 }
  w.subscribe('outbox', () => counts.outbox++)
  w.subscribe('forward_jobs', () => counts.forward_jobs++)
  return counts
}

async function until(check: () => boolean, what: string, ms = 3000) {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** The backend pid of the queue listener of this test's database, if it is connected. */
async function listenerPid(other: Db): Promise<number | undefined> {
  const r = await sql<{ pid: number }>`
    SELECT pid FROM pg_stat_activity
    WHERE application_name = ${LISTENER_APPLICATION_NAME} AND datname = current_database()`.execute(other)
  return r.rows[0]?.pid
}

describe('next claimable time', () => {
  it('is the earliest future retry or lapsing lease, ignoring rows due now and other states', async () => {
    await db
      .insertInto('forward_jobs')
      .values([
        job('due', { next_attempt_at: 90 }),
        job('done', { next_attempt_at: 105, state: 'done' }),
        job('retry', { next_attempt_at: 130 }),
        job('leased', { next_attempt_at: 50, lease_until: 119 }),
      ])
      .execute()
    expect(await nextClaimableAt(db, 'forward_jobs', ['queued'], 100)).toBe(120)
    expect(await nextClaimableAt(db, 'forward_jobs', ['queued'], 125)).toBe(130)
    expect(await nextClaimableAt(db, 'forward_jobs', ['queued'], 130)).toBeUndefined()
  })
})

describe.runIf(testDialect === 'sqlite')('queue wake-ups on SQLite (data_version)', () => {
  it("another connection's commit wakes every queue within the check interval; a read wakes nobody", async () => {
    wakeups = startQueueWakeups(location, { sqliteCheckMs: 20 })
    expect(wakeups.notifies).toBe(true)
    const counts = counter(wakeups)
    await wakeups.ready()
    await db.selectFrom('forward_jobs').selectAll().execute()
    await new Promise((r) => setTimeout(r, 100))
    expect(counts).toEqual({ outbox: 0, forward_jobs: 0 })
    await db.insertInto('forward_jobs').values(job('a', {})).execute()
    await new Promise((r) => setTimeout(r, 100))
    expect(counts.forward_jobs).toBe(1)
    expect(counts.outbox).toBe(1)
    await wakeups.close()
    await db.insertInto('forward_jobs').values(job('b', {})).execute()
    await new Promise((r) => setTimeout(r, 100))
    expect(counts.forward_jobs).toBe(1)
  })

  it('a file that cannot be opened leaves the MTA on its poll (notifies is false)', async () => {
    wakeups = startQueueWakeups(`${location}.missing`)
    expect(wakeups.notifies).toBe(false)
  })
})

describe.runIf(testDialect === 'postgres')('queue wake-ups on PostgreSQL (LISTEN/NOTIFY)', () => {
  it('a job queued through another connection wakes the subscriber of its queue only, at once', async () => {
    wakeups = startQueueWakeups(location)
    expect(wakeups.notifies).toBe(true)
    const counts = counter(wakeups)
    await wakeups.ready()
    // Connecting wakes every queue once (anything queued before LISTEN is found by that claim).
    expect(counts).toEqual({ outbox: 1, forward_jobs: 1 })
    const other = await openDatabase(location)
    try {
      const started = Date.now()
      await other.insertInto('forward_jobs').values(job('a', {})).execute()
      await until(() => counts.forward_jobs === 2, 'the forward queue is woken')
      expect(Date.now() - started).toBeLessThan(2000)
      // A transaction that rolls back notifies nobody (NOTIFY is sent at commit).
      await other
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto('forward_jobs').values(job('b', {})).execute()
          throw new Error('roll back')
        })
        .catch(() => undefined)
      await new Promise((r) => setTimeout(r, 300))
      expect(counts).toEqual({ outbox: 1, forward_jobs: 2 })
    } finally {
      await other.destroy()
    }
  })

  it('reconnects after its backend is terminated, wakes every queue once, and is woken afterwards', async () => {
    wakeups = startQueueWakeups(location, { minBackoffMs: 50 })
    const counts = counter(wakeups)
    await wakeups.ready()
    const other = await openDatabase(location)
    try {
      const first = await listenerPid(other)
      expect(first).toBeTypeOf('number')
      await sql`SELECT pg_terminate_backend(${first})`.execute(other)
      // Notifications sent during the gap are lost: the reconnect itself wakes every queue.
      await until(() => counts.outbox === 2 && counts.forward_jobs === 2, 'the reconnect wakes every queue')
      const second = await listenerPid(other)
      expect(second).toBeTypeOf('number')
      expect(second).not.toBe(first)
      await other.insertInto('forward_jobs').values(job('after', {})).execute()
      await until(() => counts.forward_jobs === 3, 'an enqueue after the reconnect wakes the forward queue')
      expect(counts.outbox).toBe(2)
    } finally {
      await other.destroy()
    }
  })

  it('close ends the listener connection and no reconnect follows', async () => {
    wakeups = startQueueWakeups(location, { minBackoffMs: 20 })
    await wakeups.ready()
    expect(await listenerPid(db)).toBeTypeOf('number')
    await wakeups.close()
    await new Promise((r) => setTimeout(r, 300))
    expect(await listenerPid(db)).toBeUndefined()
  })
})
