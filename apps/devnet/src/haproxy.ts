import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { freePort } from './free-port.ts'

/** Debian's haproxy binary (scripts/test.sh installs the package when it is missing). */
export const HAPROXY_BIN = '/usr/sbin/haproxy'
export const haproxyInstalled = (): boolean => existsSync(HAPROXY_BIN)

export interface HaproxyFrontend {
  name: string
  /** Loopback port to listen on (default: a free one). */
  port?: number
  /** The replicas behind it, on 127.0.0.1. */
  servers: Array<{ name: string; port: number }>
}

export interface HaproxyResponse {
  backend: string
  /** The replica that answered, or `<NOSRV>` when haproxy answered itself (no replica ready). */
  server: string
  status: number
  method: string
  path: string
}

export interface Haproxy {
  /** Bound port of each frontend, by name. */
  ports: Record<string, number>
  /** The configuration file it runs (an operator's example, docs/operations.md). */
  config: string
  /** Every response haproxy sent so far (its log: backend, server, status, method, path), oldest first. */
  responses(): HaproxyResponse[]
  stop(): Promise<void>
}

/** Seconds a client is told to wait when no replica is ready (haproxy's own 503 page). */
export const HAPROXY_RETRY_AFTER_SECONDS = 5

/**
 * The haproxy configuration of a replicated domain: round robin over the replicas, only to those whose
 * `GET /readyz` answers 200 (checked every `checkIntervalMs`), a request whose connection failed is sent
 * to another replica (`option redispatch`), the client address appended to X-Forwarded-For, and when no
 * replica is ready a 503 with Retry-After (the nodes' own outage answer, never a bare 503).
 */
export function haproxyConfig(
  frontends: Array<Required<HaproxyFrontend>>,
  options: { errorFile: string; checkIntervalMs: number },
): string {
  const blocks = frontends.map(
    (f) => `
frontend ${f.name}
  bind 127.0.0.1:${f.port}
  default_backend ${f.name}

backend ${f.name}
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter ${options.checkIntervalMs} fall 1 rise 1
  errorfile 503 ${options.errorFile}
${f.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check`).join('\n')}
`,
  )
  return `global
  maxconn 4096
  log stdout format raw local0

defaults
  mode http
  log global
  log-format "%b %s %ST %HM %HU"
  option forwardfor
  option redispatch
  retries 3
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 5s
${blocks.join('')}`
}

const ERROR_PAGE = (body: string) =>
  [
    'HTTP/1.1 503 Service Unavailable',
    'Content-Type: application/json',
    'Cache-Control: no-store',
    `Retry-After: ${HAPROXY_RETRY_AFTER_SECONDS}`,
    'Connection: close',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n')

/**
 * Starts a PRIVATE haproxy (its own configuration in a temporary folder, loopback ports, run in the
 * foreground as a child of this process) in front of a domain's replicas; `stop` ends it and removes the
 * folder. Resolves once every frontend accepts connections.
 */
export async function startHaproxy(
  frontends: HaproxyFrontend[],
  options: { checkIntervalMs?: number } = {},
): Promise<Haproxy> {
  if (!haproxyInstalled())
    throw new Error('haproxy is not installed: run `apt-get install haproxy` (npm test does)')
  const dir = await mkdtemp(path.join(tmpdir(), 'fz-haproxy-'))
  const bound: Array<Required<HaproxyFrontend>> = []
  for (const f of frontends) bound.push({ ...f, port: f.port ?? (await freePort()) })
  const errorFile = path.join(dir, '503.http')
  await writeFile(
    errorFile,
    ERROR_PAGE(
      `${JSON.stringify({
        error: 'temporarily_unavailable',
        error_description: `no replica of this domain is ready; retry in ${HAPROXY_RETRY_AFTER_SECONDS} seconds`,
      })}\n`,
    ),
  )
  const config = haproxyConfig(bound, { errorFile, checkIntervalMs: options.checkIntervalMs ?? 500 })
  const file = path.join(dir, 'haproxy.cfg')
  await writeFile(file, config)
  // -db: stay in the foreground, so the process is ours to stop; -f: only our configuration.
  const child = spawn(HAPROXY_BIN, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] })
  const responses: HaproxyResponse[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [backend = '', server = '', status = '', method = '', path = ''] = line.split(' ')
    if (/^\d{3}$/.test(status)) responses.push({ backend, server, status: Number(status), method, path })
  })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    await rm(dir, { recursive: true, force: true })
  }
  try {
    for (const f of bound) await waitForPort(f.port, child, () => stderr)
  } catch (e) {
    await stop()
    throw e
  }
  return {
    ports: Object.fromEntries(bound.map((f) => [f.name, f.port])),
    config,
    responses: () => responses,
    stop,
  }
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}): ${stderr()}`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`haproxy did not listen on 127.0.0.1:${port} within 10 s: ${stderr()}`)
}
