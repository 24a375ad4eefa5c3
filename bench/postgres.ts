import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { startPostgres } from '@federizer/devnet'
import type { Db } from '@federizer/store'
import { fmt, mapLimit, waitFor } from './lib.ts'
import { benchMailbox } from './mailbox.ts'
import { ALICE, BOB, openBenchNetwork, submitMail, trpcClient } from './network.ts'
import { backendsCpuMs, backendsDelta, databaseOf } from './postgres-backends.ts'
import { measurePeaks } from './proc.ts'
import type { Row, Section } from './report.ts'

/** The bench's own process (submitting clients, Bob's inbox watcher): not a server's CPU. */
export const CLIENT = 'bench (client)'
const PG_BACKENDS = 'PostgreSQL backends'

export interface BatchResult {
  perSecond: number
  /** CPU time per message (ms) of each process, and of the PostgreSQL backends when there are any. */
  cpuPerMessage: Record<string, number>
}

/**
 * Submits `count` text messages alice@example.com → bob@example.net through `apiUrl` (`concurrency` in
 * flight) and waits until every one is complete in Bob's mailbox (`bobDb`); CPU of `pids` and of the
 * backends of `databases` over that time.
 */
export async function deliverBatch(input: {
  apiUrl: string
  token: string
  bobDb: Db
  count: number
  concurrency: number
  label: string
  pids: Record<string, number>
  databases: string[]
}): Promise<BatchResult> {
  const alice = trpcClient(input.apiUrl, input.token)
  const tag = `${input.label} ${randomBytes(4).toString('hex')}`
  const pgBefore = await backendsCpuMs(input.databases)
  const { result: seconds, memory } = await measurePeaks(input.pids, async () => {
    const started = performance.now()
    await mapLimit(
      Array.from({ length: input.count }, (_, i) => i),
      input.concurrency,
      (i) =>
        submitMail(alice, { to: [BOB], subject: `${tag} ${i}`, text: `Hello Bob, ${tag} message ${i}.` }),
    )
    await waitFor(
      async () => {
        const row = await input.bobDb
          .selectFrom('messages')
          .select((e) => e.fn.countAll<number>().as('n'))
          .where('account', '=', BOB)
          .where('content_state', '=', 'complete')
          .where('subject', 'like', `${tag} %`)
          .executeTakeFirstOrThrow()
        return Number(row.n) >= input.count
      },
      `${input.count} messages complete at Bob`,
      600_000,
      20,
    )
    return (performance.now() - started) / 1000
  })
  const cpuPerMessage: Record<string, number> = {}
  for (const [name, use] of Object.entries(memory)) cpuPerMessage[name] = use.cpuMs / input.count
  if (input.databases.length > 0)
    cpuPerMessage[PG_BACKENDS] = backendsDelta(pgBefore, await backendsCpuMs(input.databases)) / input.count
  return { perSecond: input.count / seconds, cpuPerMessage }
}

/** Rows for one batch: the rate, CPU per message of each process, and the servers' total. */
export function batchRows(label: string, count: number, concurrency: number, r: BatchResult): Row[] {
  const rows: Row[] = [
    {
      figure: `${label}: ${count} text messages, ${concurrency} in flight`,
      value: `${fmt(r.perSecond, 1)} msg/s`,
    },
  ]
  let servers = 0
  for (const [name, ms] of Object.entries(r.cpuPerMessage)) {
    if (name !== CLIENT) servers += ms
    rows.push({
      figure: `${label}: CPU per message, ${name}`,
      value: `${fmt(ms, 2)} ms`,
      ...(name === CLIENT ? { note: 'the senders and the watcher: not counted below' } : {}),
    })
  }
  rows.push({
    figure: `${label}: CPU per message, every server process`,
    value: `${fmt(servers, 2)} ms`,
    note: `${availableParallelism()} cores bound the rate at ${fmt((availableParallelism() * 1000) / servers, 0)} msg/s`,
  })
  return rows
}

/**
 * Issue 13: the domain pair of section 2 (each gateway and example.com's api in its own process) with
 * both stores on SQLite files, then on one private PostgreSQL cluster, in the same run.
 */
export async function benchPostgresDelivery(options: {
  messages: number
  concurrency: number
}): Promise<Section> {
  const rows: Row[] = []
  const cluster = await startPostgres({ durable: true })
  try {
    for (const kind of ['SQLite', 'PostgreSQL'] as const) {
      const bench = await openBenchNetwork(
        kind === 'PostgreSQL' ? { postgresAdminUrl: cluster.url('postgres') } : {},
      )
      try {
        const databases = [bench.sender, bench.receiver].flatMap((n) =>
          n.config.store?.kind === 'postgres' ? [databaseOf(n.config.store.url)] : [],
        )
        const token = await bench.sender.accessToken(ALICE)
        const bobDb = await bench.receiver.db()
        const batch = (count: number, label: string) =>
          deliverBatch({
            apiUrl: bench.senderApi.url,
            token,
            bobDb,
            count,
            concurrency: options.concurrency,
            label,
            pids: bench.pids(),
            databases,
          })
        // Warm-up (JIT, discovery and key caches, pages), not counted.
        await batch(Math.min(options.messages, 50), `${kind} warm-up`)
        rows.push(
          ...batchRows(kind, options.messages, options.concurrency, await batch(options.messages, kind)),
        )
      } finally {
        await bench.close()
      }
    }
  } finally {
    await cluster.stop()
  }
  return {
    title: '10. Delivery on PostgreSQL beside SQLite (issue 13)',
    method:
      `N text messages alice@example.com → bob@example.net as in section 2 (one tRPC send.submit given the form, ` +
      `undo window 0, ${options.concurrency} in flight, after an uncounted warm-up of up to 50), first with both ` +
      'domains on SQLite files, then both on one private PostgreSQL cluster on this machine; throughput = N ÷ ' +
      '(first submit → last message complete at Bob). CPU per message: user + system time of each process over ' +
      'the batch ÷ N (idle use is under 1 % of a core, section 8, and not subtracted); on PostgreSQL also the ' +
      'backends serving the two databases (/proc of each `postgres: … <database>` process).',
    rows,
  }
}

/** Issue 13: section 4's mailbox reads with the store on a private PostgreSQL cluster. */
export async function benchPostgresMailbox(options: { sizes: number[]; samples: number }): Promise<Section> {
  const cluster = await startPostgres({ durable: true })
  try {
    return await benchMailbox({ ...options, postgresAdminUrl: cluster.url('postgres') })
  } finally {
    await cluster.stop()
  }
}
