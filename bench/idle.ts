import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, postgresStore, startPostgres } from '@federizer/devnet'
import { type DomainConfig, defaultLimits, type StoreConfig, toConfigFile } from '@federizer/node'
import { backendsCpuMs, backendsDelta, databaseOf } from './postgres-backends.ts'
import { processCpuMs } from './proc.ts'
import type { Row, Section } from './report.ts'

const CLI_MAIN = fileURLToPath(new URL('../apps/cli/src/main.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url))
/** Issue 14: "a domain with nothing to do uses < 1 % of a core". */
const TARGET = 0.01
/** Left alone before the idle window, and measured apart (see measure). */
const SETTLE_MS = 30_000

export interface IdleOptions {
  /** Measured quiet, in ms (after a settling pause). */
  ms: number
}

/** `federizer serve --config FILE` (gateway and api in one process), resolved once `/healthz` answers. */
async function serve(config: DomainConfig): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const ports = { gateway: { port: await freePort() }, api: { port: await freePort() } }
  const file = path.join(config.dataDir, 'idle-config.json')
  await writeFile(file, JSON.stringify(toConfigFile(config, ports, 'warn')), { mode: 0o600 })
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'serve', '--config', file], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited before listening: ${stderr}`)
    const up = await fetch(`http://127.0.0.1:${ports.gateway.port}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
    if (up) return { child, stop }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`serve did not answer /healthz within 60 s: ${stderr}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** One idle domain on `store`: the serve process's CPU (and its PostgreSQL backends') over `ms`. */
async function measure(store: StoreConfig | undefined, ms: number): Promise<Row[]> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'fz-idle-'))
  const config: DomainConfig = {
    domain: 'example.com',
    dataDir,
    ...(store ? { store } : {}),
    gatewayUrl: 'http://localhost:1',
    apiUrl: 'http://localhost:2',
    mtaClientId: 'mta.example.com',
    webClientId: 'webmail.example.com',
    allowInsecureTargets: true,
    limits: defaultLimits,
    undoSendSeconds: 0,
    queueTimeScale: 1,
  }
  const running = await serve(config)
  const label = store ? 'PostgreSQL' : 'SQLite'
  try {
    const pid = running.child.pid ?? 0
    const database = store?.kind === 'postgres' ? databaseOf(store.url) : undefined
    // Start-up work (migrations check, key loading, first claims, JIT) and V8's memory reducer, which
    // runs a few full collections some 8–25 s after it (see measureIdle), are not idle: measured apart.
    const startCpu = await processCpuMs(pid)
    const startAt = performance.now()
    await new Promise((r) => setTimeout(r, SETTLE_MS))
    const before = await processCpuMs(pid)
    const settling = (before - startCpu) / (performance.now() - startAt)
    const pgBefore = database ? await backendsCpuMs([database]) : undefined
    const started = performance.now()
    await new Promise((r) => setTimeout(r, ms))
    const wall = performance.now() - started
    const share = ((await processCpuMs(pid)) - before) / wall
    const rows: Row[] = [
      {
        figure: `idle domain on ${label}: \`federizer serve\`, its first ${SETTLE_MS / 1000} s after /healthz (informative)`,
        value: `${(settling * 100).toFixed(2)} % of a core`,
        note: "start-up's garbage collected, V8's memory reducer",
      },
      {
        figure: `idle domain on ${label}: \`federizer serve\` (gateway + api)`,
        value: `${(share * 100).toFixed(2)} % of a core`,
        target: '< 1 %',
        ok: share < TARGET,
        note: `over ${(wall / 1000).toFixed(0)} s after those`,
      },
    ]
    if (database && pgBefore) {
      const after = await backendsCpuMs([database])
      const pgShare = backendsDelta(pgBefore, after) / wall
      rows.push({
        figure: 'idle domain on PostgreSQL: its database backends (pool + queue listener)',
        value: `${(pgShare * 100).toFixed(2)} % of a core`,
        note: `${after.size} backends at the end, ${[...after.keys()].filter((p) => !pgBefore.has(p)).length} of them opened during the window`,
      })
    }
    return rows
  } finally {
    await running.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
}

/**
 * Issue 14 (idle): a started domain with nothing to do, on SQLite and on PostgreSQL. The MTA's runners
 * sleep until woken (this process's enqueues, the api's watched file, PostgreSQL notifications, SQLite's
 * data_version) or a row comes due; what is left is the safety-net poll.
 */
export async function benchIdle(options: IdleOptions): Promise<Section> {
  const rows = await measure(undefined, options.ms)
  const cluster = await startPostgres({ durable: true })
  try {
    rows.push(...(await measure(await postgresStore(cluster.url('postgres'), 'example.com'), options.ms)))
  } finally {
    await cluster.stop()
  }
  return {
    title: '9. Idle domain (issue 14)',
    method: `One domain started with \`federizer serve\` (gateway + api in one process, no users, no mail), left alone for ${SETTLE_MS / 1000} s (its CPU then shown apart), then its CPU (user + system, /proc/<pid>/stat) over ${(options.ms / 1000).toFixed(0)} s as a share of one core; on SQLite and on a private PostgreSQL cluster (with the CPU of that database's backends).`,
    rows,
  }
}
