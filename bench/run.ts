/**
 * `npm run bench`: every figure of issue 8, printed as a table and written to bench/results.md with the
 * date, the machine and the commit. Environment:
 *   BENCH_QUICK=1          smoke mode: small sizes, 1 run, a minute or so (written to the temp dir, not results.md)
 *   BENCH_BIG_BYTES=N      size of the transfer payload (default 1 GiB; 32 MiB in quick mode)
 *   BENCH_ONLY=a,b         run only these sections: transfer, delivery, token, mailbox, webmail, sync, smtp, fanout,
 *                          idle, postgres, postgres-mailbox, replicas
 *   BENCH_FANOUT_MESSAGES=N messages per fan-out configuration (default 20; 3 in quick mode)
 *   BENCH_PG_MESSAGES=N    messages per store in sections 10 and 12 (default 500); BENCH_PG_MAILBOX=N mailbox size
 *                          of section 11 (default 100,000)
 *   BENCH_TEXT_MESSAGES=N, BENCH_IMAGE_MESSAGES=N  messages per delivery run (default 500 and 100)
 *   BENCH_PUSH_MAX_BYTES=N pushed resources per delivery in section 2 (0: the share-then-fetch way only)
 *   BENCH_SPLIT_PROCESSES=1 section 2's main runs with example.com's gateway and api in separate processes
 *                          (default: one process, `federizer serve`'s shape; the other shape runs text only)
 *   BENCH_SKIP_WEB_BUILD=1 measure the existing apps/web/dist instead of building it
 *   BENCH_OUT=file         where to write the Markdown (default bench/results.md; quick: a temp file)
 * Profiling: BENCH_PROF_DIR=/tmp/prof NODE_OPTIONS="--import ./bench/cpu-profile.mjs" npm run bench
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { closeClientFetch } from './client-fetch.ts'
import { benchDelivery } from './delivery.ts'
import { benchFanout } from './fanout.ts'
import { benchIdle } from './idle.ts'
import { benchMailbox } from './mailbox.ts'
import { benchPostgresDelivery, benchPostgresMailbox } from './postgres.ts'
import { benchReplicas } from './replicas.ts'
import { machineInfo, renderMarkdown, type Section, writeResults } from './report.ts'
import { benchSmtp } from './smtp.ts'
import { benchSyncVisibility } from './sync-visibility.ts'
import { benchTokenEndpoint } from './token-endpoint.ts'
import { benchTransfer } from './transfer.ts'
import { benchWebmail } from './webmail.ts'

const env = process.env
const quick = env.BENCH_QUICK === '1'
const runs = quick ? 1 : 3
const only = env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(',').map((s) => s.trim())) : undefined
const out =
  env.BENCH_OUT ??
  (quick
    ? path.join(tmpdir(), 'federizer-bench-quick.md')
    : fileURLToPath(new URL('./results.md', import.meta.url)))

const machine = machineInfo(quick)
const tempDir = await mkdtemp(path.join(tmpdir(), 'fz-bench-files-'))
const sections: Section[] = []

const plan: [string, string, () => Promise<Section>][] = [
  [
    'transfer',
    '1. Resource transfer',
    () =>
      benchTransfer({
        bytes: Number(env.BENCH_BIG_BYTES ?? (quick ? 32 * 2 ** 20 : 2 ** 30)),
        runs,
        tempDir,
      }),
  ],
  [
    'delivery',
    '2. Delivery end to end',
    () =>
      benchDelivery({
        small: Number(env.BENCH_TEXT_MESSAGES ?? (quick ? 40 : 500)),
        withImage: Number(env.BENCH_IMAGE_MESSAGES ?? (quick ? 4 : 100)),
        ...(quick ? { warmUp: 100 } : {}),
        runs,
        concurrency: 16,
        ...(env.BENCH_PUSH_MAX_BYTES !== undefined ? { pushMaxBytes: Number(env.BENCH_PUSH_MAX_BYTES) } : {}),
        ...(env.BENCH_SPLIT_PROCESSES === '1' ? { splitProcesses: true } : {}),
      }),
  ],
  [
    'token',
    '3. Token endpoint',
    () => benchTokenEndpoint({ exchanges: quick ? 100 : 1000, runs, concurrency: 32 }),
  ],
  [
    'mailbox',
    '4. Mailbox reads',
    () => benchMailbox({ sizes: quick ? [1_000, 5_000] : [10_000, 100_000], samples: quick ? 10 : 50 }),
  ],
  ['webmail', '5. Webmail', () => benchWebmail({ build: env.BENCH_SKIP_WEB_BUILD !== '1' })],
  [
    'sync',
    '6. New mail visible in the recipient’s webmail',
    () => benchSyncVisibility({ messages: quick ? 3 : 15 }),
  ],
  ['smtp', '7. SMTP bridge', () => benchSmtp({ messages: quick ? 50 : 500 })],
  [
    'fanout',
    '8. Fan-out',
    () =>
      benchFanout({
        messages: Number(env.BENCH_FANOUT_MESSAGES ?? (quick ? 3 : 20)),
        recipients: [1, 10, 50],
        domains: [1, 3],
        attachmentBytes: 256 * 1024,
      }),
  ],
  ['idle', '9. Idle domain (issue 14)', () => benchIdle({ ms: quick ? 10_000 : 20_000 })],
  [
    'postgres',
    '10. Delivery on PostgreSQL beside SQLite (issue 13)',
    () =>
      benchPostgresDelivery({
        messages: Number(env.BENCH_PG_MESSAGES ?? (quick ? 40 : 500)),
        concurrency: 16,
      }),
  ],
  [
    'postgres-mailbox',
    '11. Mailbox reads on PostgreSQL (issue 13)',
    () =>
      benchPostgresMailbox({
        sizes: quick ? [1_000, 5_000] : [Number(env.BENCH_PG_MAILBOX ?? 100_000)],
        samples: quick ? 10 : 50,
      }),
  ],
  [
    'replicas',
    '12. One domain, 1 vs 2 gateway replicas (issue 13)',
    () => benchReplicas({ messages: Number(env.BENCH_PG_MESSAGES ?? (quick ? 40 : 500)), concurrency: 16 }),
  ],
]

try {
  for (const [key, title, fn] of plan) {
    if (only && !only.has(key)) continue
    const started = performance.now()
    process.stderr.write(`bench: ${title}…\n`)
    const load = loadavg()
    try {
      const section = await fn()
      // Other work on a shared machine moves every figure: say how busy it was.
      section.method += ` Load average when the section started: ${load.map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min) on ${cpus().length} cores; at its end: ${loadavg()[0]!.toFixed(1)}.`
      sections.push(section)
    } catch (e) {
      sections.push({
        title,
        method: 'The section failed to run.',
        rows: [{ figure: 'error', value: '—', ok: false, note: e instanceof Error ? e.message : String(e) }],
      })
      process.stderr.write(`bench: ${title} failed: ${e instanceof Error ? e.stack : String(e)}\n`)
    }
    process.stderr.write(`bench: ${title} took ${((performance.now() - started) / 1000).toFixed(0)} s\n`)
    // Written after every section, so a long run that is cut off still leaves what it measured.
    await writeResults(out, renderMarkdown(machine, sections))
  }
} finally {
  await closeClientFetch()
  await rm(tempDir, { recursive: true, force: true })
}
const markdown = renderMarkdown(machine, sections)
await writeResults(out, markdown)
process.stdout.write(`${markdown}\nwritten to ${out}\n`)
