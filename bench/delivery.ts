import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import type { Db } from '@federizer/store'
import { clientFetch } from './client-fetch.ts'
import { fmt, mapLimit, percentile, stat, waitFor } from './lib.ts'
import { ALICE, BOB, openBenchNetwork, submitMail, trpcClient, type UploadedResource } from './network.ts'
import { postfixInstalled, postfixRate } from './postfix-baseline.ts'
import { measureIdle, measurePeaks, type ProcessUse } from './proc.ts'
import type { Row, Section } from './report.ts'

export interface DeliveryOptions {
  /** Text-only messages per run. */
  small: number
  /** Messages with a 3.5 MB attachment per run. */
  withImage: number
  runs: number
  /** Submissions in flight at once (many webmail users sending at the same time). */
  concurrency: number
  /** The AS's per-client token limit per minute (undefined: the gateway's default, 1200). */
  tokenPerClientMax?: number
  /** Pushed resources per delivery (undefined: the gateway's default; 0: the fetch way only). */
  pushMaxBytes?: number
  /**
   * example.com's gateway and api in separate processes for the main runs (default: one process, as
   * `federizer serve` runs a domain); the other shape is measured too, text only, as informative rows.
   */
  splitProcesses?: boolean
  /**
   * Uncounted text messages before the first counted run (default WARM_UP_MESSAGES); the first `small`
   * of them are reported as the cold rate (informative).
   */
  warmUp?: number
}

/**
 * Text messages sent before the counted runs. The servers are long-running processes, and their cost per
 * message falls for their first thousand or so messages (most likely V8 optimising the hot code, and the
 * caches filling; not the collector, 4 mark-compacts in all): after a
 * 100-message warm-up seven runs of 300 went 72 → 107 → 105 → 108 → 137 → 127 → 155 msg/s, and the domain
 * process 12.7 → 5.1 ms of CPU per message; after 1,500, three runs gave 147 / 161 / 144 msg/s at
 * 5.0–5.6 ms. The runs measure the settled servers; the first messages after the start are a row of their own.
 */
const WARM_UP_MESSAGES = 1500

const IMAGE_BYTES = 3_500_000
/** The bench's own process (submitting clients and the inbox watcher): not a server's CPU. */
const CLIENT = 'bench (client)'
const cores = availableParallelism()

/**
 * Watches Bob's mailbox (a read-only handle on example.net's database) and notes, for each Message-ID,
 * when it was first seen and when its content became complete. Incremental by modseq, every few ms.
 */
function watchInbox(db: Db) {
  const seen = new Map<string, number>()
  const complete = new Map<string, number>()
  let lastModseq = 0
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const rows = await db
        .selectFrom('messages')
        .select(['message_id_header', 'content_state', 'modseq'])
        .where('account', '=', BOB)
        .where('modseq', '>', lastModseq)
        .orderBy('modseq')
        .execute()
      const now = performance.now()
      for (const r of rows) {
        lastModseq = Math.max(lastModseq, Number(r.modseq))
        if (!seen.has(r.message_id_header)) seen.set(r.message_id_header, now)
        if (r.content_state === 'complete' && !complete.has(r.message_id_header))
          complete.set(r.message_id_header, now)
        if (r.content_state === 'unavailable') throw new Error(`Bob could not fetch ${r.message_id_header}`)
      }
      await new Promise((r) => setTimeout(r, 5))
    }
  })()
  return {
    seen,
    complete,
    async stop() {
      stopped = true
      await loop
    },
  }
}

interface RunResult {
  perSecond: number
  e2e: number[]
  delivered: number[]
  memory: Record<string, ProcessUse>
  count: number
}

async function oneRun(
  bench: Awaited<ReturnType<typeof openBenchNetwork>>,
  count: number,
  concurrency: number,
  attach: boolean,
  label: string,
): Promise<RunResult> {
  const token = await bench.sender.accessToken(ALICE)
  const alice = trpcClient(bench.senderApi.url, token)
  const watcher = watchInbox(await bench.receiver.db())
  const accepted = new Map<string, number>()
  try {
    const { result: seconds, memory } = await measurePeaks(bench.pids(), async () => {
      const started = performance.now()
      await mapLimit(
        Array.from({ length: count }, (_, i) => i),
        concurrency,
        async (i) => {
          const attachments: UploadedResource[] = []
          if (attach) {
            const res = await clientFetch(`${bench.senderApi.url}/resources`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${token}`,
                'content-type': 'image/png',
                'x-filename': `photo-${i}.png`,
              },
              body: randomBytes(IMAGE_BYTES),
            })
            if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`)
            attachments.push((await res.json()) as UploadedResource)
          }
          const id = await submitMail(alice, {
            to: [BOB],
            subject: `${label} ${i}`,
            // A fresh nonce per message: a later run must not re-send a body Bob already holds (its fetch
            // would be skipped and the run would measure less than a delivery).
            text: `Hello Bob, message ${i} of ${count} (${randomBytes(8).toString('hex')}).`,
            attachments,
          })
          accepted.set(id, performance.now())
        },
      )
      await waitFor(
        async () => [...accepted.keys()].every((id) => watcher.complete.has(id)),
        `${count} messages complete at Bob`,
        600_000,
        20,
      )
      return (performance.now() - started) / 1000
    })
    const e2e: number[] = []
    const delivered: number[] = []
    for (const [id, t] of accepted) {
      e2e.push(watcher.complete.get(id)! - t)
      delivered.push(watcher.seen.get(id)! - t)
    }
    return { perSecond: count / seconds, e2e, delivered, memory, count }
  } finally {
    await watcher.stop()
  }
}

type FillableRow = Row & { fill?: () => void }

/**
 * Postfix's rate for the same message size (smtp-source → Postfix queue → smtp-sink, 10 sessions, before
 * and after the Federizer runs) and Federizer's ratio to it. Filled in once the second Postfix pass ran.
 */
async function postfixRows(
  kind: string,
  federizer: number,
  postfix: Map<string, number[]>,
  goal: number,
): Promise<FillableRow[]> {
  if (!postfixInstalled())
    return [
      {
        figure: `${kind}: Postfix, same run`,
        value: '—',
        note: 'Postfix is not installed: no same-run figure',
      },
    ]
  const pf: FillableRow = {
    figure: `${kind}: Postfix, same run (smtp-source → queue → smtp-sink, 10 sessions)`,
    value: '',
  }
  const ratio: FillableRow = {
    figure: `${kind}: Federizer ÷ Postfix (same run)`,
    value: '',
    target: `≥ ${goal.toFixed(1)}×`,
  }
  pf.fill = () => {
    const s = stat(postfix.get(kind) ?? [])
    pf.value = `${fmt(s.median, 1)} msg/s`
    pf.spread = `${fmt(s.min, 1)} – ${fmt(s.max, 1)}`
    pf.runs = s.runs
    pf.note = 'before and after the Federizer runs'
    ratio.value = `${fmt(federizer / s.median, 2)}×`
    ratio.ok = federizer / s.median >= goal
  }
  return [pf, ratio]
}

function latencyRows(name: string, runs: RunResult[], pick: (r: RunResult) => number[]): Row[] {
  return [50, 95, 99].map((p) => {
    const s = stat(runs.map((r) => percentile(pick(r), p)))
    return {
      figure: `${name} p${p}`,
      value: `${fmt(s.median, 0)} ms`,
      spread: `${fmt(s.min, 0)} – ${fmt(s.max, 0)}`,
      runs: s.runs,
    }
  })
}

/** The section's two domains with its knobs, example.com in one process or two. */
function openDeliveryNetwork(options: DeliveryOptions, oneProcess: boolean) {
  return openBenchNetwork({
    ...(options.tokenPerClientMax !== undefined ? { tokenPerClientMax: options.tokenPerClientMax } : {}),
    ...(options.pushMaxBytes !== undefined ? { pushMaxBytes: options.pushMaxBytes } : {}),
    oneProcess,
  })
}

/**
 * CPU per message of each process and summed over the servers, idle use over the run's wall time
 * subtracted (it is not the messages' work, see measureIdle); the ≤ 4 ms goal on the text runs.
 */
function cpuRows(kind: string, runs: RunResult[], idle: Record<string, number>, goal: boolean): Row[] {
  const rows: Row[] = []
  let totalCpu = 0
  for (const p of Object.keys(runs[0]!.memory)) {
    const perMessage = stat(
      runs.map((r) => (r.memory[p]!.cpuMs - (idle[p] ?? 0) * r.memory[p]!.wallMs) / r.count),
    )
    if (p !== CLIENT) totalCpu += perMessage.median
    rows.push({
      figure: `${kind}: CPU per message, ${p}`,
      value: `${fmt(perMessage.median, 2)} ms`,
      spread: `${fmt(perMessage.min, 2)} – ${fmt(perMessage.max, 2)}`,
      runs: perMessage.runs,
      ...(p === CLIENT ? { note: 'the senders and the watcher: not counted below' } : {}),
    })
  }
  rows.push({
    figure: `${kind}: CPU per message, every server process`,
    value: `${fmt(totalCpu, 2)} ms`,
    ...(goal ? { target: '≤ 4 ms', ok: totalCpu <= 4 } : {}),
    note: `${cores} cores bound the rate at ${fmt((cores * 1000) / totalCpu, 0)} msg/s`,
  })
  return rows
}

/** The first messages after the start (the cold servers), informative: rate and CPU per message. */
function coldRow(kind: string, cold: RunResult, warmUp: number): Row {
  const cpu = Object.entries(cold.memory)
    .filter(([p]) => p !== CLIENT)
    .reduce((sum, [, use]) => sum + use.cpuMs / cold.count, 0)
  return {
    figure: `${kind}: the first ${cold.count} messages after the start (cold servers, informative)`,
    value: `${fmt(cold.perSecond, 1)} msg/s`,
    note: `${fmt(cpu, 2)} ms of CPU per message over every server process; the runs below follow ${warmUp} uncounted messages`,
  }
}

/**
 * The text runs again with example.com in the other process shape (informative): its gateway and api in
 * separate processes, or in one when the main runs split them. Same warm-up, idle subtraction and runs.
 */
async function otherShapeRows(options: DeliveryOptions, postfix: Map<string, number[]>): Promise<Row[]> {
  const split = !options.splitProcesses
  const kind = `text only, ${split ? 'api and gateway in separate processes' : 'api and gateway in one process'} (informative)`
  const bench = await openDeliveryNetwork(options, !split)
  try {
    await oneRun(bench, options.warmUp ?? WARM_UP_MESSAGES, options.concurrency, false, `${kind} warm-up`)
    const runs: RunResult[] = []
    for (let r = 0; r < options.runs; r++)
      runs.push(await oneRun(bench, options.small, options.concurrency, false, `${kind} run ${r}`))
    // After the runs, as in section 2's main shape: a quiet pause before them would make them colder.
    const { idle } = await measureIdle(bench.pids())
    const rate = stat(runs.map((r) => r.perSecond))
    const pf = postfix.get('text only')
    return [
      {
        figure: `${kind}: ${options.small} messages, ${options.concurrency} in flight`,
        value: `${fmt(rate.median, 1)} msg/s`,
        spread: `${fmt(rate.min, 1)} – ${fmt(rate.max, 1)}`,
        runs: rate.runs,
        ...(pf ? { note: `${fmt(rate.median / stat(pf).median, 2)}× Postfix's first pass` } : {}),
      },
      ...cpuRows(kind, runs, idle, false),
    ]
  } finally {
    await bench.close()
  }
}

/**
 * Section 2: N messages alice@example.com → bob@example.net end to end (send accepted → delivered →
 * every resource fetched), text only and with a 3.5 MB image each.
 */
export async function benchDelivery(options: DeliveryOptions): Promise<Section> {
  const bench = await openDeliveryNetwork(options, !options.splitProcesses)
  const rows: FillableRow[] = []
  let idle: Record<string, number> = {}
  // Postfix in the same run, before and after the Federizer runs (issue 14): 4 KB and 3.5 MB, 10 sessions.
  const kinds = [
    ['text only', options.small, false, 4096, 1.0],
    ['3.5 MB image each', options.withImage, true, IMAGE_BYTES, 2.0],
  ] as const
  const postfix = new Map<string, number[]>()
  const postfixPass = async () => {
    if (!postfixInstalled()) return
    for (const [kind, count, , bytes] of kinds) {
      if (count === 0) continue
      const r = await postfixRate({ messages: Math.max(count, 100), bytes, sessions: 10 })
      postfix.set(kind, [...(postfix.get(kind) ?? []), r.perSecond])
    }
  }
  await postfixPass()
  try {
    for (const [kind, count, attach] of kinds) {
      if (count === 0) continue
      const runs: RunResult[] = []
      // Warm-up (JIT, discovery and key caches, SQLite pages), not counted. The image runs follow the
      // text runs on the same servers: a short warm-up of their own.
      const warmUp = attach ? Math.min(count, 100) : (options.warmUp ?? WARM_UP_MESSAGES)
      const cold = await oneRun(bench, Math.min(count, warmUp), options.concurrency, attach, `${kind} cold`)
      if (warmUp > count) await oneRun(bench, warmUp - count, options.concurrency, attach, `${kind} warm-up`)
      if (!attach) rows.push(coldRow(kind, cold, warmUp))
      for (let r = 0; r < options.runs; r++)
        runs.push(await oneRun(bench, count, options.concurrency, attach, `${kind} run ${r}`))
      // What each process burns with nothing to do (the idle goal), subtracted from the CPU per
      // message below so that a run's figure is the work of its messages, not of its wall time. Measured
      // after the text runs, not between the warm-up and them: 40 s of quiet before a run made it colder
      // (three runs after such a pause: 123 -> 140 -> 155 msg/s; without it 147 / 161 / 144).
      if (!attach) {
        const use = await measureIdle(bench.pids())
        idle = use.idle
        for (const [p, share] of Object.entries(use.idle)) {
          if (p === CLIENT) continue
          rows.push({
            figure: `CPU in the 30 s after the text runs, ${p} (informative)`,
            value: `${fmt(use.settling[p]! * 100, 2)} % of a core`,
            note: "the burst's garbage collected, V8's memory reducer",
          })
          rows.push({
            figure: `idle CPU, ${p}`,
            value: `${fmt(share * 100, 2)} % of a core`,
            target: '< 1 %',
            ok: share < 0.01,
            note: 'nothing queued, 10 s after those 30 s',
          })
        }
      }
      const rate = stat(runs.map((r) => r.perSecond))
      rows.push({
        figure: `${kind}: ${count} messages, ${options.concurrency} in flight`,
        value: `${fmt(rate.median, 1)} msg/s`,
        spread: `${fmt(rate.min, 1)} – ${fmt(rate.max, 1)}`,
        runs: rate.runs,
        ...(attach ? { note: `${fmt((rate.median * IMAGE_BYTES) / 1e6, 0)} MB/s of attachments` } : {}),
      })
      rows.push(...(await postfixRows(kind, rate.median, postfix, attach ? 2.0 : 1.0)))
      rows.push(...latencyRows(`${kind}: accepted → complete at Bob`, runs, (r) => r.e2e))
      rows.push(...latencyRows(`${kind}: accepted → in Bob's inbox`, runs, (r) => r.delivered))
      const procs = Object.keys(runs[0]!.memory)
      for (const p of procs) {
        const peak = stat(runs.map((r) => r.memory[p]!.peakMiB))
        rows.push({
          figure: `${kind}: peak RSS ${p}`,
          value: `${fmt(peak.median, 0)} MiB`,
          spread: `${fmt(peak.min, 0)} – ${fmt(peak.max, 0)}`,
          runs: peak.runs,
        })
      }
      rows.push(...cpuRows(kind, runs, idle, !attach))
    }
  } finally {
    await bench.close()
  }
  if (options.small > 0) rows.push(...(await otherShapeRows(options, postfix)))
  await postfixPass()
  // The ratio rows were written with the first Postfix pass; now that both passes ran, fill them in.
  for (const r of rows) r.fill?.()
  for (const r of rows) delete r.fill
  return {
    title: '2. Delivery end to end',
    method:
      `Per run, N messages submitted through example.com's api over tRPC/HTTP (one send.submit given the compose form, as the webmail's Send; ` +
      `undo window 0, ${options.concurrency} in flight; an attachment is uploaded first; after an uncounted warm-up of ${options.warmUp ?? WARM_UP_MESSAGES} text messages, the first of them reported as the cold rate, and of up to 100 image messages), delivered by ` +
      'example.com’s MTA to example.net and fetched by example.net’s MTA (woken by the enqueue; safety-net poll 60 s). ' +
      (options.splitProcesses
        ? 'example.com’s gateway and api run in separate processes, example.net’s gateway in its own (the last rows: the text runs again with example.com in one process, informative); '
        : 'example.com’s gateway and api run in one process on one domain context, as `federizer serve` runs a domain (its api’s token exchange answered by its AS in-process), example.net’s gateway in its own (the last rows: the text runs again with example.com’s gateway and api in separate processes, informative); ') +
      'the bench watches Bob’s rows by modseq every 5 ms. ' +
      'Throughput = N ÷ (first submit → last message complete); latency from send.submit answered. ' +
      'Postfix, same run: smtp-source (10 sessions, the same size, at least 100 messages) → a private Postfix on loopback (disk queue) → smtp-sink, before and after the Federizer runs; the ratio is Federizer ÷ their median. ' +
      'CPU per message: user + system time of each process (every thread, /proc/<pid>/stat, the counters of ' +
      'process.cpuUsage) over the run, less its idle use over the same wall time, ÷ N.',
    rows,
  }
}
