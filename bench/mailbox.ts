import { type Db, insertMessage, inTransaction, mailboxByRole } from '@federizer/store'
import { fmt, percentile } from './lib.ts'
import { ALICE, openBenchNetwork, trpcClient } from './network.ts'
import type { Row, Section } from './report.ts'

export interface MailboxOptions {
  /** Mailbox sizes to measure at, ascending (e.g. [10_000, 100_000]). */
  sizes: number[]
  /** Timed calls per query and size. */
  samples: number
  /** Maintenance URL of a PostgreSQL cluster: the mailbox there (default: the SQLite file). */
  postgresAdminUrl?: string
}

const WORDS = [
  'alpha',
  'budget',
  'venice',
  'report',
  'meeting',
  'invoice',
  'photo',
  'travel',
  'draft',
  'lunch',
]
const TARGET_MS = 50

/**
 * Inserts messages `from`..`to`-1 into Alice's inbox with the store's own `insertMessage` (the path a
 * delivery takes: derived columns, modseq, FTS index), 500 per transaction. The store has no bulk path.
 */
async function seed(db: Db, from: number, to: number): Promise<void> {
  for (let done = from; done < to; ) {
    const batch = Math.min(500, to - done)
    await inTransaction(db, async (trx) => {
      for (let i = 0; i < batch; i++) {
        const n = done + i
        await insertMessage(trx, {
          account: ALICE,
          mailboxRole: 'inbox',
          receivedAt: 1_700_000_000 + n,
          keywords: n % 3 === 0 ? ['$seen'] : [],
          placeholder: {
            envelope: [
              {
                headers: [
                  ['From', `Sender ${n % 500} <sender${n % 500}@example.net>`],
                  ['To', ALICE],
                  ['Subject', `${WORDS[n % 10]} ${WORDS[(n * 7) % 10]} number ${n}`],
                  ['Message-ID', `<bench${n}@example.net>`],
                  ['Date', new Date((1_700_000_000 + n) * 1000).toUTCString()],
                  ['Content-Type', 'multipart/mixed'],
                ],
              },
            ],
            parts: [],
          },
        })
      }
    })
    done += batch
    // better-sqlite3 is synchronous: without a turn of the event loop, sockets closed meanwhile (the api's
    // idle keep-alive connections) go unnoticed and the next request fails on a dead socket.
    await new Promise((r) => setImmediate(r))
  }
}

async function time(samples: number, fn: () => Promise<unknown>): Promise<number[]> {
  await fn() // warm the statement and page caches once, not counted
  const out: number[] = []
  for (let i = 0; i < samples; i++) {
    const t = performance.now()
    await fn()
    out.push(performance.now() - t)
  }
  return out
}

/** Section 4 (and its PostgreSQL twin): the webmail's hot reads over tRPC/HTTP at each mailbox size. */
export async function benchMailbox(options: MailboxOptions): Promise<Section> {
  const bench = await openBenchNetwork(
    options.postgresAdminUrl ? { postgresAdminUrl: options.postgresAdminUrl } : {},
  )
  const rows: Row[] = []
  const seedRates: string[] = []
  try {
    const db = await bench.sender.db()
    const client = trpcClient(bench.senderApi.url, await bench.sender.accessToken(ALICE))
    await client.sync.state.query() // creates the account's mailboxes
    const inbox = await mailboxByRole(db, ALICE, 'inbox')
    let have = 0
    for (const size of options.sizes) {
      const t = performance.now()
      await seed(db, have, size)
      seedRates.push(
        `${fmt((size - have) / ((performance.now() - t) / 1000), 0)} msg/s to ${size.toLocaleString('en-US')}`,
      )
      have = size
      const state = Number((await client.sync.state.query()).state)
      const deep = await client.message.list.query({ mailboxId: inbox.id, limit: 200 })
      const queries: [string, () => Promise<unknown>][] = [
        ['sync.state', () => client.sync.state.query()],
        [
          'sync.changes, 50 behind (max 200)',
          () => client.sync.changes.query({ since: String(state - 50), max: 200 }),
        ],
        [
          'sync.changes from 0, first page (max 200)',
          () => client.sync.changes.query({ since: '0', max: 200 }),
        ],
        ['message.list, first 100', () => client.message.list.query({ mailboxId: inbox.id, limit: 100 })],
        [
          'message.list, 100 after a cursor',
          () =>
            client.message.list.query({
              mailboxId: inbox.id,
              limit: 100,
              cursor: deep.nextCursor ?? undefined,
            }),
        ],
        ['message.search, rare ("number 4242")', () => client.message.search.query({ query: 'number 4242' })],
        ['message.search, common word (1 in 10)', () => client.message.search.query({ query: 'venice' })],
        // The quota each delivery to the account checks first (federation/quotas.ts), read here by the webmail's call.
        ['account.quota (what a delivery checks)', () => client.account.quota.query()],
      ]
      for (const [name, fn] of queries) {
        const values = await time(options.samples, fn).catch((e: unknown) => {
          throw new Error(`${name} at ${size}: ${describeError(e)}`)
        })
        const p50 = percentile(values, 50)
        const p95 = percentile(values, 95)
        rows.push({
          figure: `${name} at ${size.toLocaleString('en-US')}`,
          value: `${fmt(p50, 1)} ms p50`,
          spread: `p95 ${fmt(p95, 1)} ms`,
          runs: values.length,
          target: `p95 < ${TARGET_MS} ms`,
          ok: p95 < TARGET_MS,
        })
      }
    }
  } finally {
    await bench.close()
  }
  return {
    title: options.postgresAdminUrl ? '11. Mailbox reads on PostgreSQL (issue 13)' : '4. Mailbox reads',
    method:
      (options.postgresAdminUrl ? 'The store on a private PostgreSQL cluster on this machine. ' : '') +
      'Messages inserted into one inbox with the store’s insertMessage (no bulk path exists; 500 per ' +
      `transaction; seeding ran at ${seedRates.join(', ')}), then each query called ${options.samples} times ` +
      'in sequence through the typed tRPC client over HTTP against example.com’s api process, after one ' +
      'uncounted call. The "Median" column is p50 and "Min – max" shows p95 here.',
    rows,
  }
}

/** The innermost cause of a failed call (tRPC → fetch → socket), so a failure says what broke. */
function describeError(e: unknown): string {
  const parts: string[] = []
  for (let c: unknown = e; c && parts.length < 5; c = (c as { cause?: unknown }).cause) {
    const err = c as { message?: string; code?: string }
    parts.push(`${err.message ?? String(c)}${err.code ? ` [${err.code}]` : ''}`)
  }
  return parts.join(' ← ')
}
