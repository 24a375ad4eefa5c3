import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import { enqueueOutbox, FETCH_WINDOW_SECONDS } from '../src/outbox.ts'
import type { QueueTable } from '../src/queue.ts'
import { pruneFinishedJobs } from '../src/queue-prune.ts'
import { tempDb } from './helpers.ts'

let db: Db
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ db, cleanup } = await tempDb())
})
afterEach(async () => cleanup())

const LIFETIME = 1000
const key = { privateJwk: { kty: 'EC', crv: 'P-256', d: 'x' }, publicJwk: { kty: 'EC', crv: 'P-256' } }

/** One outbox row queued at `now` (expires at now + LIFETIME), then put in `state`. */
async function outboxRow(state: string, now: number): Promise<string> {
  const id = await enqueueOutbox(db, {
    account: 'alice@example.com',
    messageRowId: `m_${state}_${now}`,
    recipientDomain: 'example.net',
    recipients: ['bob@example.net'],
    placeholder: { envelope: [], parts: [] },
    dpopKey: key,
    contentIds: ['aSQnmlBT6RndpDnwTSStJUVh1h9XL9_y2QXX42NhKuI'],
    holdUntil: now,
    state: 'queued',
    now,
    lifetimeSeconds: LIFETIME,
  })
  await db
    .updateTable('outbox')
    .set({ state: state as 'queued' })
    .where('id', '=', id)
    .execute()
  return id
}

const row = (id: string, state: string, now: number) => ({
  id,
  account: 'bob@example.net',
  message_row_id: `m_${id}`,
  state: state as 'queued',
  attempts: 1,
  next_attempt_at: now,
  lease_until: null,
  expires_at: now + LIFETIME,
  last_error: null,
  created_at: now,
  updated_at: now,
})

async function job(table: Exclude<QueueTable, 'outbox'>, id: string, state: string, now: number) {
  if (table === 'vacation_jobs')
    await db
      .insertInto('vacation_jobs')
      .values(row(id, state, now))
      .execute()
  else if (table === 'forward_jobs')
    await db
      .insertInto('forward_jobs')
      .values({ ...row(id, state, now), forward_to: '["carol@example.org"]', placeholder: '{}' })
      .execute()
  else
    await db
      .insertInto('fetch_jobs')
      .values({
        ...row(id, state, now),
        message_id_header: `<${id}@example.com>`,
        origin_domain: 'example.com',
        content_id: 'aSQnmlBT6RndpDnwTSStJUVh1h9XL9_y2QXX42NhKuI',
        size: 42,
        media_type: 'text/plain',
        priority: 0,
        envelope: '[]',
      })
      .execute()
}

const ids = async (table: QueueTable) =>
  (await db.selectFrom(table).select('id').orderBy('id').execute()).map((r) => r.id)

describe('pruning finished queue rows', () => {
  it('removes outbox rows with no work left once their fetch window has ended, and only those', async () => {
    const now = 10 * LIFETIME + FETCH_WINDOW_SECONDS
    // Expired long enough ago: before now - FETCH_WINDOW - LIFETIME.
    const old = now - FETCH_WINDOW_SECONDS - LIFETIME - 1
    const gone = [
      await outboxRow('delivered', old),
      await outboxRow('failed', old),
      await outboxRow('cancelled', old),
    ]
    // Finished, but the recipients may still fetch: kept.
    const inWindow = await outboxRow('delivered', now - LIFETIME - 10)
    // Still has work, whatever its age: kept.
    const working = [await outboxRow('queued', old), await outboxRow('held', old)]
    const report = await pruneFinishedJobs(db, { now })
    expect(report.outbox).toBe(3)
    expect(await ids('outbox')).toEqual([inWindow, ...working].sort())
    // Their resource references went with them; the others keep theirs.
    const refs = await db
      .selectFrom('resource_refs')
      .select('owner_id')
      .where('owner_kind', '=', 'outbox')
      .execute()
    expect(refs.map((r) => r.owner_id).sort()).toEqual([inWindow, ...working].sort())
    expect(refs.some((r) => gone.includes(r.owner_id))).toBe(false)
  })

  it('removes done and failed jobs once their lifetime has ended, never queued or waiting ones', async () => {
    const now = 100 * LIFETIME
    const old = now - LIFETIME - 1
    for (const table of ['fetch_jobs', 'forward_jobs', 'vacation_jobs'] as const) {
      await job(table, `${table}-done`, 'done', old)
      await job(table, `${table}-failed`, 'failed', old)
      await job(table, `${table}-queued`, 'queued', old)
      await job(table, `${table}-recent`, 'done', now - 10)
    }
    await job('fetch_jobs', 'fetch_jobs-waiting', 'waiting', old)
    const report = await pruneFinishedJobs(db, { now })
    expect(report).toMatchObject({ fetch_jobs: 2, forward_jobs: 2, vacation_jobs: 2 })
    expect(await ids('fetch_jobs')).toEqual(['fetch_jobs-queued', 'fetch_jobs-recent', 'fetch_jobs-waiting'])
    expect(await ids('forward_jobs')).toEqual(['forward_jobs-queued', 'forward_jobs-recent'])
    expect(await ids('vacation_jobs')).toEqual(['vacation_jobs-queued', 'vacation_jobs-recent'])
    // Nothing left to do: a second pass removes nothing.
    expect(await pruneFinishedJobs(db, { now })).toEqual({
      outbox: 0,
      fetch_jobs: 0,
      forward_jobs: 0,
      vacation_jobs: 0,
    })
  })

  it('works through a backlog larger than one batch', async () => {
    const now = 100 * LIFETIME
    for (let i = 0; i < 1201; i++)
      await job('vacation_jobs', `v${String(i).padStart(4, '0')}`, 'done', now - 2 * LIFETIME)
    expect((await pruneFinishedJobs(db, { now })).vacation_jobs).toBe(1201)
    expect(await ids('vacation_jobs')).toEqual([])
  })
})
