import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { testStore } from '@federizer/devnet'
import { claimDue, type Db, endAttempt, openDatabase } from '@federizer/store'
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { queueDueClock } from '../src/mta/due.ts'
import { startQueueRunner } from '../src/mta/runner.ts'

// With wake-ups covering every enqueue the idle poll is only a safety net (mta/workers.ts); a retry
// that comes due must still run on time: the idle runner sleeps until the next claimable row.
let dir: string
let db: Db

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fz-due-'))
  const store = await testStore('example.com')
  db = await openDatabase(store?.kind === 'postgres' ? store.url : path.join(dir, 'mail.sqlite'))
})
afterEach(async () => {
  await db.destroy()
  await rm(dir, { recursive: true, force: true })
})

const now = () => Math.floor(Date.now() / 1000)

/** A queued forward job due at `next` (made at `t0`), leased until `lease` when given. */
const job = (id: string, next: number, t0: number, lease: number | null = null) => ({
  id,
  account: 'bob@example.net',
  message_row_id: `m_${id}`,
  forward_to: '[]',
  placeholder: '{}',
  state: 'queued' as const,
  attempts: 0,
  next_attempt_at: next,
  lease_until: lease,
  expires_at: t0 + 3600,
  last_error: null,
  created_at: t0,
  updated_at: t0,
})

describe('an idle queue runner with a 60 s poll', () => {
  it('runs a retry when it comes due, and a lapsed lease when it lapses, not at the next poll', {
    timeout: 20_000,
  }, async () => {
    const t0 = now()
    // One retry due in 2 s; one row a crashed claimer leased until 3 s from now.
    await db
      .insertInto('forward_jobs')
      .values([job('retry', t0 + 2, t0), job('crashed', t0 - 10, t0, t0 + 3)])
      .execute()
    const ran = new Map<string, number>()
    const due = queueDueClock(db, 'forward_jobs', ['queued'], now)
    const runner = startQueueRunner<{ id: string; attempts: number }>({
      name: 'forward',
      concurrency: 4,
      pollIntervalMs: 60_000,
      logger: pino({ level: 'silent' }),
      claim: async (limit, exclude) => {
        due.claiming()
        return (
          await claimDue(db, 'forward_jobs', {
            now: now(),
            limit,
            exclude,
            states: ['queued'],
            leaseSeconds: 60,
          })
        ).map((id) => ({ id, attempts: 0 }))
      },
      nextDueInMs: due.nextDueInMs,
      id: (row) => row.id,
      run: async (row) => {
        ran.set(row.id, Date.now())
        await endAttempt(db, 'forward_jobs', row, { state: 'done' }, now())
      },
      release: async () => {},
    })
    try {
      const started = Date.now()
      while (ran.size < 2 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50))
      expect([...ran.keys()].sort()).toEqual(['crashed', 'retry'])
      // Due at the start of second t0+2 (the retry) and after t0+3 (the lease ends): well before 60 s.
      expect(ran.get('retry')!).toBeGreaterThanOrEqual((t0 + 2) * 1000)
      expect(ran.get('retry')! - started).toBeLessThan(4000)
      expect(ran.get('crashed')!).toBeGreaterThan((t0 + 3) * 1000)
      expect(ran.get('crashed')! - started).toBeLessThan(6000)
    } finally {
      await runner.stop()
    }
  })
})

describe('the due time after a claim at a second boundary', () => {
  it('counts a row that came due after the claim looked, though the lookup runs a second later', async () => {
    // The claim looks in second T-1 (the row is due at T, not yet claimable); the second ticks before
    // the due-time lookup. The row is not claimed, so the runner must claim again at once, not sleep
    // the safety-net poll: the undo-send hold that left only at the next poll (docs/operations.md).
    let clock = 1_900_000_000
    await db
      .insertInto('forward_jobs')
      .values(job('held', clock + 1, clock))
      .execute()
    const due = queueDueClock(db, 'forward_jobs', ['queued'], () => clock)
    due.claiming()
    clock += 1
    const ms = await due.nextDueInMs()
    expect(ms).toBeDefined()
    expect(ms!).toBeLessThanOrEqual(0)
  })

  it('leaves out a row that was already due when the claim looked (the claim took it or skipped it)', async () => {
    const clock = 1_900_000_000
    await db
      .insertInto('forward_jobs')
      .values([job('old', clock - 5, clock), job('next', clock + 30, clock)])
      .execute()
    const due = queueDueClock(db, 'forward_jobs', ['queued'], () => clock)
    due.claiming()
    const ms = await due.nextDueInMs()
    // Only the row due in 30 s: a due row the claim left (a saturated destination) must not make the
    // idle runner spin; its destination's finishing job wakes the runner.
    expect(ms!).toBeGreaterThan(29_000)
    expect(ms!).toBeLessThanOrEqual(30_000)
  })
})
