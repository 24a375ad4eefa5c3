import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Db, openDatabase } from '../src/db.ts'
import { claimDue, releaseLease } from '../src/queue.ts'
import { tempDb, testDialect } from './helpers.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
let db: Db
let location: string
let cleanup: () => Promise<void>

beforeEach(async () => {
  ;({ db, location, cleanup } = await tempDb())
})
afterEach(async () => cleanup())

/** The queue columns of a row queued and due at second `i`, not leased. */
const queuedAt = (i: number) => ({
  state: 'queued' as const,
  attempts: 0,
  next_attempt_at: i,
  lease_until: null,
  expires_at: 1e9,
  last_error: null,
  created_at: 0,
  updated_at: 0,
})

async function addJobs(n: number) {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `fw_${String(i).padStart(4, '0')}`,
    account: 'bob@example.com',
    message_row_id: `m_${i}`,
    forward_to: '[]',
    placeholder: '{}',
    ...queuedAt(i),
  }))
  for (let i = 0; i < rows.length; i += 200)
    await db
      .insertInto('forward_jobs')
      .values(rows.slice(i, i + 200))
      .execute()
}

/** Fetch jobs `fj_<i>` from `origins[i]`, due at second i. */
async function addFetchJobs(origins: string[], priority: (i: number) => number = () => 1) {
  await db
    .insertInto('fetch_jobs')
    .values(
      origins.map((origin, i) => ({
        id: `fj_${i}`,
        account: 'bob@example.com',
        message_row_id: `m_${i}`,
        message_id_header: `<${i}@x>`,
        origin_domain: origin,
        content_id: `c${i}`,
        size: 1,
        media_type: 'text/plain',
        priority: priority(i),
        envelope: '[]',
        ...queuedAt(i),
      })),
    )
    .execute()
}

const unleased = async () =>
  Number(
    (
      await db
        .selectFrom('forward_jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('lease_until', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  )

const opts = (limit: number, exclude: string[] = []) => ({
  now: 2000,
  leaseSeconds: 600,
  limit,
  states: ['queued'],
  exclude: new Set(exclude),
})

/** A claimer in its own OS process (fixtures/claim-all.ts); `go` starts it, `ids` are what it claimed. */
function claimer(batch: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'fixtures/claim-all.ts'), location, String(batch)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  let out = ''
  child.stdout.on('data', (d) => {
    out += d
  })
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => out.startsWith('ready\n') && resolve())
    child.once('exit', (code) => reject(new Error(`the claimer exited (${code}) before it was ready`)))
  })
  const ids = new Promise<string[]>((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.slice('ready\n'.length)))
        : reject(new Error(`claimer exit ${code}`)),
    ),
  )
  return { ready, go: () => child.stdin.write('go\n'), ids }
}

describe('queue claims', () => {
  it('two claimer processes and this one share 1,000 jobs: each job claimed exactly once', {
    timeout: 60_000,
  }, async () => {
    await addJobs(1000)
    const children = [claimer(5), claimer(5)]
    await Promise.all(children.map((c) => c.ready))
    for (const c of children) c.go()
    const here: string[] = []
    for (;;) {
      const ids = await claimDue(db, 'forward_jobs', opts(5))
      here.push(...ids)
      if (ids.length === 0 && (await unleased()) === 0) break
      await new Promise((r) => setTimeout(r, 2))
    }
    const [a, b] = await Promise.all(children.map((c) => c.ids))
    const all = [...here, ...a!, ...b!]
    expect(all).toHaveLength(1000)
    expect(new Set(all).size).toBe(1000)
    // All three took part: the claims really ran side by side.
    expect(a!.length).toBeGreaterThan(0)
    expect(b!.length).toBeGreaterThan(0)
    const leased = await db
      .selectFrom('forward_jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('lease_until', '=', 2600)
      .executeTakeFirstOrThrow()
    expect(Number(leased.n)).toBe(1000)
  })

  it('never claims a leased row, an excluded row, or more than the per-destination cap', async () => {
    const origins = ['slow', 'slow', 'slow', 'slow', 'd4', 'd5', 'd6', 'd7']
    await addFetchJobs(origins, (i) => (i === 7 ? 0 : 1))
    const running = new Map([['d4', 1]])
    const capped = await claimDue(db, 'fetch_jobs', {
      ...opts(10, ['fj_6']),
      byPriority: true,
      perDestination: { column: 'origin_domain', max: () => 2, running: new Map([['d5', 2], ...running]) },
    })
    // fj_7 (inline) first; slow: 2 of 4; d4 (1 running): 1 more; d5 saturated; fj_6 excluded.
    expect(capped).toEqual(['fj_7', 'fj_0', 'fj_1', 'fj_4'])
    expect(await claimDue(db, 'fetch_jobs', opts(10))).toEqual(['fj_2', 'fj_3', 'fj_5', 'fj_6'])
    expect(await claimDue(db, 'fetch_jobs', opts(10))).toEqual([])
    await releaseLease(db, 'fetch_jobs', 'fj_5')
    expect(await claimDue(db, 'fetch_jobs', opts(10))).toEqual(['fj_5'])
  })

  it('reads past a page of full destinations: fewer rows than asked means nothing else is claimable', async () => {
    // Ten due rows of `busy` come first; two of `quiet` lie beyond a first page of 4.
    await addFetchJobs([...Array(10).fill('busy'), 'quiet', 'quiet'])
    const claim = (running: Map<string, number>, max: (d: string) => number = () => 2) =>
      claimDue(db, 'fetch_jobs', {
        ...opts(4),
        perDestination: { column: 'origin_domain', max, running },
      })
    expect(await claim(new Map())).toEqual(['fj_0', 'fj_1', 'fj_10', 'fj_11'])
    // `busy` full and `quiet` drained: fewer than asked, and nothing claimable is left behind.
    expect(await claim(new Map([['busy', 2]]))).toEqual([])
    // A cap per destination: one more `busy` row (cap 3 for it) and nothing else.
    expect(await claim(new Map([['busy', 2]]), (d) => (d === 'busy' ? 3 : 1))).toEqual(['fj_2'])
  })
})

describe.runIf(testDialect === 'postgres')('queue claims on PostgreSQL', () => {
  it('skip rows another claimer holds locked instead of waiting for them', async () => {
    await addJobs(3)
    const other = await openDatabase(location)
    try {
      let release: () => void = () => undefined
      let locked: () => void = () => undefined
      const holding = new Promise<void>((r) => {
        locked = r
      })
      const held = other.transaction().execute(async (trx) => {
        await sql`SELECT id FROM forward_jobs WHERE id = 'fw_0000' FOR UPDATE`.execute(trx)
        locked()
        await new Promise<void>((r) => {
          release = r
        })
      })
      await holding
      const started = Date.now()
      expect(await claimDue(db, 'forward_jobs', opts(10))).toEqual(['fw_0001', 'fw_0002'])
      expect(Date.now() - started).toBeLessThan(2000)
      release()
      await held
      expect(await claimDue(db, 'forward_jobs', opts(10))).toEqual(['fw_0000'])
    } finally {
      await other.destroy()
    }
  })
})
