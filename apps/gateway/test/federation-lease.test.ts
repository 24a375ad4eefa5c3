import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { testStore } from '@federizer/devnet'
import { claimDue, type Db, openDatabase, releaseLease } from '@federizer/store'
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startQueueRunner } from '../src/mta/runner.ts'

let dir: string
let db: Db
let other: Db

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fz-lease-'))
  // A SQLite file, or under `npm run test:pg` a PostgreSQL database; `other` is a second replica: on
  // PostgreSQL its own pool (another application_name, so not the shared handle of this process).
  const store = await testStore('example.com')
  const location = store?.kind === 'postgres' ? store.url : path.join(dir, 'mail.sqlite')
  db = await openDatabase(location)
  other = await openDatabase(store?.kind === 'postgres' ? `${location}?application_name=replica2` : location)
})
afterEach(async () => {
  await db.destroy()
  await other.destroy()
  await rm(dir, { recursive: true, force: true })
})

async function addJobs(n: number, nextAttemptAt = 0) {
  for (let i = 0; i < n; i++) {
    await db
      .insertInto('forward_jobs')
      .values({
        id: `fw_${i}`,
        account: 'bob@example.net',
        message_row_id: `m_${i}`,
        forward_to: '[]',
        placeholder: '{}',
        state: 'queued',
        attempts: 0,
        next_attempt_at: nextAttemptAt,
        lease_until: null,
        expires_at: 10_000,
        last_error: null,
        created_at: 0,
        updated_at: 0,
      })
      .execute()
  }
}

const opts = (now: number, limit = 10) => ({
  now,
  limit,
  leaseSeconds: 60,
  states: ['queued'],
  exclude: new Set<string>(),
})

describe('lease claims', () => {
  it('two workers on the same database never claim the same row', async () => {
    await addJobs(20)
    const claimed: string[] = []
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([
        claimDue(db, 'forward_jobs', opts(100, 7)),
        claimDue(other, 'forward_jobs', opts(100, 7)),
      ])
      claimed.push(...a, ...b)
    }
    expect(claimed).toHaveLength(20)
    expect(new Set(claimed).size).toBe(20)
  })

  it('a claimed row comes back only when its lease lapses (a crashed worker), or when released', async () => {
    await addJobs(1)
    expect(await claimDue(db, 'forward_jobs', opts(100))).toEqual(['fw_0'])
    expect(await claimDue(other, 'forward_jobs', opts(159))).toEqual([])
    expect(await claimDue(other, 'forward_jobs', opts(161))).toEqual(['fw_0'])
    await releaseLease(other, 'forward_jobs', 'fw_0')
    expect(await claimDue(db, 'forward_jobs', opts(162))).toEqual(['fw_0'])
  })

  it('rows not yet due, or in another state, are not claimed', async () => {
    await addJobs(2, 500)
    await db
      .updateTable('forward_jobs')
      .set({ state: 'done', next_attempt_at: 0 })
      .where('id', '=', 'fw_1')
      .execute()
    expect(await claimDue(db, 'forward_jobs', opts(499))).toEqual([])
    expect(await claimDue(db, 'forward_jobs', opts(500))).toEqual(['fw_0'])
  })
})

describe('queue runner', () => {
  it('runs every claimed row once, at most `concurrency` at a time, and stops cleanly', async () => {
    await addJobs(12)
    let running = 0
    let peak = 0
    const ran: string[] = []
    const runner = startQueueRunner<{ id: string }>({
      name: 'test',
      concurrency: 3,
      pollIntervalMs: 5,
      logger: pino({ level: 'silent' }),
      claim: async (limit, exclude) => {
        const ids = await claimDue(db, 'forward_jobs', { ...opts(100, limit), exclude })
        return ids.map((id) => ({ id }))
      },
      id: (row) => row.id,
      run: async (row) => {
        running++
        peak = Math.max(peak, running)
        await new Promise((r) => setTimeout(r, 5))
        ran.push(row.id)
        await db
          .updateTable('forward_jobs')
          .set({ state: 'done', lease_until: null })
          .where('id', '=', row.id)
          .execute()
        running--
      },
      release: (row) => releaseLease(db, 'forward_jobs', row.id),
    })
    const deadline = Date.now() + 10_000
    while (ran.length < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    await runner.stop()
    expect(ran.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `fw_${i}`).sort())
    expect(peak).toBeLessThanOrEqual(3)
  })

  it('gives the lease back for a job aborted by stop', async () => {
    await addJobs(1)
    let started = false
    const runner = startQueueRunner<{ id: string }>({
      name: 'test',
      concurrency: 1,
      pollIntervalMs: 5,
      logger: pino({ level: 'silent' }),
      claim: async (limit, exclude) =>
        (await claimDue(db, 'forward_jobs', { ...opts(100, limit), exclude })).map((id) => ({ id })),
      id: (row) => row.id,
      run: (_row, signal) =>
        new Promise((_resolve, reject) => {
          started = true
          signal.addEventListener('abort', () => reject(new Error('aborted')))
        }),
      release: (row) => releaseLease(db, 'forward_jobs', row.id),
    })
    while (!started) await new Promise((r) => setTimeout(r, 5))
    expect(
      (await db.selectFrom('forward_jobs').select('lease_until').executeTakeFirstOrThrow()).lease_until,
    ).toBe(160)
    await runner.stop()
    expect(
      (await db.selectFrom('forward_jobs').select('lease_until').executeTakeFirstOrThrow()).lease_until,
    ).toBeNull()
  })

  it('lets a running job finish within the grace period instead of aborting it', async () => {
    await addJobs(1)
    let started = false
    let finished = false
    let aborted = false
    const runner = startQueueRunner<{ id: string }>({
      name: 'test',
      concurrency: 1,
      pollIntervalMs: 5,
      logger: pino({ level: 'silent' }),
      claim: async (limit, exclude) =>
        (await claimDue(db, 'forward_jobs', { ...opts(100, limit), exclude })).map((id) => ({ id })),
      id: (row) => row.id,
      run: (_row, signal) =>
        new Promise<void>((resolve) => {
          started = true
          signal.addEventListener('abort', () => {
            aborted = true
          })
          setTimeout(() => {
            finished = true
            resolve()
          }, 100)
        }),
      release: (row) => releaseLease(db, 'forward_jobs', row.id),
    })
    while (!started) await new Promise((r) => setTimeout(r, 5))
    await runner.stop(5_000)
    expect({ finished, aborted }).toEqual({ finished: true, aborted: false })
  })
})
