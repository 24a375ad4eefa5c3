import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Network, startNetwork } from '@federizer/devnet'
import type { Db } from '@federizer/store'
import { fmt, mapLimit, waitFor } from './lib.ts'
import { ALICE, submitMail, trpcClient, type UploadedResource } from './network.ts'
import { measureIdle, measurePeaks, type NodeProcess, startNodeProcess } from './proc.ts'
import type { Row, Section } from './report.ts'

export interface FanoutOptions {
  /** Messages per configuration. */
  messages: number
  /** Recipients per message (spread evenly over the receiving domains). */
  recipients: number[]
  /** Receiving domains per message (at most three). */
  domains: number[]
  /** Size of the one attachment each message carries (fetched: larger than what is pushed). */
  attachmentBytes: number
}

const RECEIVERS = ['example.net', 'example.org', 'example.edu']
const PASSWORD = 'bench password, not a secret'
const MAX_PER_DOMAIN = 50
const CLIENT = 'bench (client)'
const user = (i: number, domain: string) => `r${String(i).padStart(2, '0')}@${domain}`

/** Recipients 1..n spread round-robin over the first `domains` receiving domains. */
const recipientsFor = (n: number, domains: number) =>
  Array.from({ length: n }, (_, i) => user(Math.floor(i / domains) + 1, RECEIVERS[i % domains]!))

interface FanoutNetwork {
  network: Network
  senderApi: NodeProcess
  pids: Record<string, number>
  close(): Promise<void>
}

/** example.com (alice) and three receiving domains of 50 users each; every server in its own process. */
async function openFanoutNetwork(): Promise<FanoutNetwork> {
  const dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-bench-fanout-'))
  const processes: { name: string; proc: NodeProcess }[] = []
  let network: Network | undefined
  const close = async () => {
    for (const p of processes.reverse()) await p.proc.stop()
    await network?.stop()
    await rm(dataRoot, { recursive: true, force: true })
  }
  try {
    network = await startNetwork({
      dataRoot,
      undoSendSeconds: 0,
      queueTimeScale: 0.001,
      domains: [
        {
          domain: 'example.com',
          gatewayProcess: true,
          api: false,
          users: [{ email: ALICE, password: PASSWORD }],
        },
        ...RECEIVERS.map((domain) => ({
          domain,
          gatewayProcess: true,
          api: false as const,
          users: Array.from({ length: MAX_PER_DOMAIN }, (_, i) => ({
            email: user(i + 1, domain),
            password: PASSWORD,
          })),
        })),
      ],
    })
    for (const node of network.nodes.values()) {
      await node.process?.kill('SIGTERM')
      node.process = undefined
      processes.push({
        name: `gateway ${node.domain}`,
        proc: await startNodeProcess('gateway', node.config, node.gatewayPort),
      })
    }
    const sender = network.node('example.com')
    const senderApi = await startNodeProcess('api', sender.config, sender.apiPort)
    processes.push({ name: 'api example.com', proc: senderApi })
    const pids: Record<string, number> = { [CLIENT]: process.pid }
    for (const p of processes) pids[p.name] = p.proc.pid
    return { network, senderApi, pids, close }
  } catch (e) {
    await close()
    throw e
  }
}

/** Copies complete, and fetch attempts made (each one a fetch request to the origin), for these Message-IDs. */
async function progress(dbs: Db[], ids: string[]) {
  let complete = 0
  let fetches = 0
  for (const db of dbs) {
    const copies = await db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('message_id_header', 'in', ids)
      .where('content_state', '=', 'complete')
      .executeTakeFirst()
    complete += Number(copies?.n ?? 0)
    const jobs = await db
      .selectFrom('fetch_jobs')
      .select((eb) => eb.fn.sum<number>('attempts').as('n'))
      .where('message_id_header', 'in', ids)
      .executeTakeFirst()
    fetches += Number(jobs?.n ?? 0)
  }
  return { complete, fetches }
}

/**
 * Fan-out (issue 14): messages with one attachment from alice@example.com to N recipients over D
 * receiving domains; per configuration the fetch requests per message (every receiving domain's fetch
 * attempts: one per resource and domain when the copies share one fetch) and the server CPU per copy.
 */
export async function benchFanout(options: FanoutOptions): Promise<Section> {
  const bench = await openFanoutNetwork()
  const rows: Row[] = []
  try {
    const token = await bench.network.node('example.com').accessToken(ALICE)
    const alice = trpcClient(bench.senderApi.url, token)
    const dbs = await Promise.all(RECEIVERS.map((d) => bench.network.node(d).db()))
    const { idle } = await measureIdle(bench.pids, 5000)
    const sendAll = async (n: number, d: number, label: string) => {
      const ids = await mapLimit(
        Array.from({ length: options.messages }, (_, i) => i),
        4,
        async (i) => {
          const res = await fetch(`${bench.senderApi.url}/resources`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
            body: randomBytes(options.attachmentBytes),
          })
          if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`)
          const file = (await res.json()) as UploadedResource
          return submitMail(alice, {
            to: recipientsFor(n, d),
            subject: `${label} ${i}`,
            text: `Fan-out ${label}, message ${i} (${randomBytes(8).toString('hex')}).`,
            attachments: [{ ...file, filename: `f-${i}.bin` }],
          })
        },
      )
      const copies = ids.length * n
      const done = await waitFor(
        async () => {
          const p = await progress(dbs, ids)
          return p.complete >= copies ? p : undefined
        },
        `${copies} copies complete`,
        600_000,
        20,
      )
      return { ids, copies, fetches: done.fetches }
    }
    await sendAll(1, 1, 'warm-up')
    for (const d of options.domains)
      for (const n of options.recipients) {
        if (n < d) continue
        const { result, memory } = await measurePeaks(bench.pids, () => sendAll(n, d, `${n}×${d}`))
        let cpu = 0
        let receivers = 0
        for (const [p, use] of Object.entries(memory)) {
          if (p === CLIENT) continue
          const ms = use.cpuMs - (idle[p] ?? 0) * use.wallMs
          cpu += ms
          if (RECEIVERS.some((r) => p === `gateway ${r}`)) receivers += ms
        }
        const label = `${n} recipient${n > 1 ? 's' : ''} over ${d} domain${d > 1 ? 's' : ''}`
        rows.push({
          figure: `${label}: fetch requests per message`,
          value: fmt(result.fetches / result.ids.length, 1),
          target: `${d} (one per receiving domain)`,
          ok: result.fetches / result.ids.length <= d,
          note: `${result.ids.length} messages, ${result.copies} copies`,
        })
        rows.push({
          figure: `${label}: CPU per copy, every server process`,
          value: `${fmt(cpu / result.copies, 2)} ms`,
          note: `receiving gateways ${fmt(receivers / result.copies, 2)} ms; per message ${fmt(cpu / result.ids.length, 1)} ms`,
        })
      }
  } finally {
    await bench.close()
  }
  return {
    title: '8. Fan-out',
    method:
      `Per configuration, ${options.messages} messages from alice@example.com, each with a ${fmt(options.attachmentBytes / 1024, 0)} KiB attachment ` +
      '(fetched; the text is pushed), to N recipients spread over D receiving domains (example.net, example.org, example.edu), ' +
      'every gateway and the sending api in its own process, after an uncounted warm-up message. Fetch requests = the fetch attempts ' +
      'of every receiving domain for those messages; CPU per copy = user + system time of every server process over the run, ' +
      'less its idle use, ÷ copies.',
    rows,
  }
}
