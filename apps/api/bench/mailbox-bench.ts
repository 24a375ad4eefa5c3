/**
 * Mailbox api figures (issue 4 "Speed"): sync.state / sync.changes / message.list / message.search over
 * HTTP at N messages in one mailbox, and a streamed upload against a raw loopback copy.
 *   npx tsx bench/mailbox-bench.ts [messages=100000] [uploadMiB=1024]
 */
import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { getSyncState, insertMessage, inTransaction, mailboxByRole } from '@federizer/store'
import { makeFile, percentile, rawLoopbackCopy, withPeakRss } from '../../../bench/lib.ts'
import { type Harness, startApi } from '../test/harness.ts'

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

async function timeIt(runs: number, fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  const values: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await fn()
    values.push(performance.now() - t)
  }
  return { p50: percentile(values, 50), p95: percentile(values, 95) }
}

/** Seeds `count` messages into Alice's inbox and times the hot read paths through tRPC over HTTP. */
export async function runMailboxBench(count: number, h?: Harness) {
  const harness = h ?? (await startApi())
  const alice = 'alice@example.com'
  const db = harness.api.ctx.db
  const seedStart = performance.now()
  for (let done = 0; done < count; ) {
    const batch = Math.min(5000, count - done)
    await inTransaction(db, async (trx) => {
      for (let i = 0; i < batch; i++) {
        const n = done + i
        await insertMessage(trx, {
          account: alice,
          mailboxRole: 'inbox',
          receivedAt: 1_700_000_000 + n,
          placeholder: {
            envelope: [
              {
                headers: [
                  ['From', `Sender ${n % 500} <sender${n % 500}@example.net>`],
                  ['To', alice],
                  ['Subject', `${WORDS[n % 10]} ${WORDS[(n * 7) % 10]} number ${n}`],
                  ['Message-ID', `<bench${n}@example.net>`],
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
  }
  const seedSeconds = (performance.now() - seedStart) / 1000
  const a = await harness.client(alice)
  const inbox = await mailboxByRole(db, alice, 'inbox')
  const state = Number((await a.sync.state.query()).state)
  const midCursor = (await a.message.list.query({ mailboxId: inbox.id, limit: 200 })).nextCursor ?? undefined
  const firstIds = (await a.message.list.query({ mailboxId: inbox.id, limit: 50 })).items.map((m) => m.id)
  const results = {
    messages: count,
    seedSeconds,
    'sync.state (in-process PK lookup)': await timeIt(2000, () => getSyncState(db, alice)),
    'sync.state (HTTP)': await timeIt(300, () => a.sync.state.query()),
    'sync.changes max 500, 500 behind': await timeIt(100, () =>
      a.sync.changes.query({ since: String(state - 500), max: 500 }),
    ),
    'sync.changes max 500 from 0 (full resync page)': await timeIt(50, () =>
      a.sync.changes.query({ since: '0', max: 500 }),
    ),
    'mailbox.list (counts)': await timeIt(50, () => a.mailbox.list.query()),
    'message.list first 50': await timeIt(100, () =>
      a.message.list.query({ mailboxId: inbox.id, limit: 50 }),
    ),
    'message.list 50 after cursor': await timeIt(100, () =>
      a.message.list.query({ mailboxId: inbox.id, limit: 50, cursor: midCursor }),
    ),
    'message.search rare (number 4242)': await timeIt(100, () =>
      a.message.search.query({ query: 'number 4242' }),
    ),
    'message.search common word (1/10 of all)': await timeIt(30, () =>
      a.message.search.query({ query: 'venice' }),
    ),
    'message.get 50 (batch read)': await timeIt(100, () => a.message.get.query({ ids: firstIds })),
  }
  if (!h) await harness.close()
  return results
}

/** Streams a file of `bytes` to POST /resources and compares with a raw node:http loopback copy. */
export async function runUploadBench(bytes: number) {
  const dir = await mkdtemp(path.join(tmpdir(), 'fz-upbench-'))
  const file = path.join(dir, 'payload.bin')
  await makeFile(file, bytes)
  const raw = await rawLoopbackCopy(file, path.join(dir, 'raw.out'), bytes)
  const h = await startApi({ configure: (c) => ({ ...c, limits: { ...c.limits, maxResourceBytes: bytes } }) })
  const token = await h.token('alice@example.com')
  const url = new URL(`${h.baseUrl}/resources`)
  const {
    result: seconds,
    peakRssMiB,
    baseRssMiB,
  } = await withPeakRss(async () => {
    const started = performance.now()
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: url.pathname,
          headers: {
            'content-length': bytes,
            authorization: `Bearer ${token}`,
            'content-type': 'application/octet-stream',
          },
        },
        (res) => {
          res.resume()
          res.on('end', () =>
            res.statusCode === 201 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
          )
        },
      )
      req.on('error', reject)
      createReadStream(file, { highWaterMark: 4 * 2 ** 20 }).pipe(req)
    })
    return (performance.now() - started) / 1000
  })
  await h.close()
  await rm(dir, { recursive: true, force: true })
  const api = bytes / 1e6 / seconds
  return { bytes, rawMBps: raw, apiMBps: api, ratio: api / raw, baseRssMiB, peakRssMiB }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const messages = Number(process.argv[2] ?? 100_000)
  const mib = Number(process.argv[3] ?? 1024)
  if (messages > 0) console.log(JSON.stringify(await runMailboxBench(messages), null, 2))
  if (mib > 0) console.log(JSON.stringify(await runUploadBench(mib * 2 ** 20), null, 2))
}
