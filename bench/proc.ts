import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type DomainConfig, toConfigFile } from '@federizer/node'

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url))
const RUNNERS = {
  api: fileURLToPath(new URL('./api-process.ts', import.meta.url)),
  gateway: fileURLToPath(new URL('./gateway-process.ts', import.meta.url)),
  domain: fileURLToPath(new URL('./domain-process.ts', import.meta.url)),
}

/** Resident memory of a process from /proc/<pid>/status (Linux): now and the peak since the last reset. */
export async function processMemory(pid: number = process.pid): Promise<{ rssMiB: number; peakMiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 }
}

/** Resets the kernel's peak-RSS mark (VmHWM) of a process to its current RSS (`clear_refs` value 5). */
async function resetPeak(pid: number = process.pid): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5')
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (Linux). */
export async function processCpuMs(pid: number = process.pid): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (clock ticks).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
}
const CLOCK_TICKS = 100

export interface ProcessUse {
  baseMiB: number
  peakMiB: number
  /** CPU time used during the step. */
  cpuMs: number
  /** Wall time of the step, in ms. */
  wallMs: number
}

/** What `measureIdle` found: shares of one core, per process. */
export interface IdleUse {
  /** Over the settling pause: the last work's stragglers (GC of its garbage, V8's memory reducer). */
  settling: Record<string, number>
  /** Over the quiet window after it: timers and queue polls only. */
  idle: Record<string, number>
}

/**
 * CPU each process uses while it has nothing to do (timers, queue polls), as a fraction of one core,
 * measured over `ms` of quiet after `settleMs`. The pause is measured too: after a burst of work V8's
 * memory reducer runs a few full collections some 8–25 s later (`--trace-gc` shows
 * "Mark-Compact (reduce)"), once per burst; that is the burst's work, not idle polling. The same
 * counters as `process.cpuUsage()` in that process (getrusage: every thread, user + system), read
 * from /proc so that no node needs a bench hook.
 */
export async function measureIdle(
  pids: Record<string, number>,
  ms = 10_000,
  settleMs = 30_000,
): Promise<IdleUse> {
  const read = async () => {
    const out: Record<string, number> = {}
    for (const [name, pid] of Object.entries(pids)) out[name] = await processCpuMs(pid)
    return { at: performance.now(), cpu: out }
  }
  const share = (a: Awaited<ReturnType<typeof read>>, b: Awaited<ReturnType<typeof read>>) =>
    Object.fromEntries(Object.keys(pids).map((n) => [n, (b.cpu[n]! - a.cpu[n]!) / (b.at - a.at)]))
  const start = await read()
  await new Promise((r) => setTimeout(r, settleMs))
  const settled = await read()
  await new Promise((r) => setTimeout(r, ms))
  const end = await read()
  return { settling: share(start, settled), idle: share(settled, end) }
}

/** Tracks the peak RSS and the CPU time of several processes over one measured step. */
export async function measurePeaks<T>(
  pids: Record<string, number>,
  fn: () => Promise<T>,
): Promise<{ result: T; memory: Record<string, ProcessUse> }> {
  const base: Record<string, number> = {}
  const cpu: Record<string, number> = {}
  for (const [name, pid] of Object.entries(pids)) {
    await resetPeak(pid)
    base[name] = (await processMemory(pid)).rssMiB
    cpu[name] = await processCpuMs(pid)
  }
  const started = performance.now()
  const result = await fn()
  const wallMs = performance.now() - started
  const memory: Record<string, ProcessUse> = {}
  for (const [name, pid] of Object.entries(pids)) {
    memory[name] = {
      baseMiB: base[name]!,
      peakMiB: (await processMemory(pid)).peakMiB,
      cpuMs: (await processCpuMs(pid)) - cpu[name]!,
      wallMs,
    }
  }
  return { result, memory }
}

export interface NodeProcess {
  child: ChildProcess
  pid: number
  port: number
  url: string
  stop(): Promise<void>
}

/**
 * Starts a domain's mailbox api (`createApi`, bench/api-process.ts), its gateway (`createGateway`,
 * bench/gateway-process.ts) or both on one domain context (bench/domain-process.ts, as `federizer serve`)
 * as its own OS process under tsx, so its memory and CPU are its own. `port` is the api's for `api` and
 * `domain` (the process's `url`), the gateway's for `gateway`; a `domain` listens for its gateway on
 * `gatewayPort`.
 */
export async function startNodeProcess(
  kind: 'api' | 'gateway' | 'domain',
  config: DomainConfig,
  port: number,
  extra: Record<string, unknown> = {},
  gatewayPort?: number,
): Promise<NodeProcess> {
  const file = path.join(config.dataDir, `bench-${kind}-config.json`)
  if (kind === 'domain' && gatewayPort === undefined)
    throw new Error('a domain process needs its gateway port')
  const listen = kind === 'domain' ? { api: { port }, gateway: { port: gatewayPort! } } : { [kind]: { port } }
  await writeFile(file, JSON.stringify(toConfigFile(config, listen)), { mode: 0o600 })
  const child = spawn(process.execPath, ['--import', 'tsx', RUNNERS[kind], file, JSON.stringify(extra)], {
    cwd: REPO_ROOT,
    // BENCH_LOG_DIR: keep each process's log (at BENCH_LOG_LEVEL, e.g. debug for per-request timings).
    env: { ...process.env, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (process.env.BENCH_LOG_DIR)
    child.stdout?.pipe(
      createWriteStream(path.join(process.env.BENCH_LOG_DIR, `${kind}-${config.domain}-${child.pid}.log`)),
    )
  let stopping = false
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      // A node that dies mid-run is a finding, not noise: say why.
      if (!stopping)
        process.stderr.write(`bench: ${kind} ${config.domain} exited (${code ?? signal}): ${stderr}\n`)
      resolve()
    }),
  )
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const bound = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${kind} ${config.domain} did not start in 30 s: ${stderr}`))
    }, 30_000)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { listening?: number }
        if (typeof msg.listening === 'number') {
          clearTimeout(timer)
          resolve(msg.listening)
        }
      } catch {
        // a log line
      }
    })
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`${kind} ${config.domain} exited before listening: ${stderr}`))
    })
  })
  return {
    child,
    pid: child.pid ?? 0,
    port: bound,
    url: `http://localhost:${bound}`,
    async stop() {
      stopping = true
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      // A node that does not finish its shutdown must not hold the bench: say so and kill it.
      const force = setTimeout(() => {
        process.stderr.write(`bench: ${kind} ${config.domain} did not exit 15 s after SIGTERM; killed\n`)
        child.kill('SIGKILL')
      }, 15_000)
      await exited
      clearTimeout(force)
    },
  }
}
