import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type DomainConfig, defaultLimits, domainPaths, toConfigFile } from '@federizer/node'
import { createUser, type Db, loadOrCreateDomainKeys, openDatabase } from '@federizer/store'
import type { SrvRecord } from './dns-server.ts'
import { freePort } from './free-port.ts'
import { type Haproxy, startHaproxy } from './haproxy.ts'
import { postgresStore } from './postgres.ts'

const CLI_MAIN = fileURLToPath(new URL('../../../apps/cli/src/main.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export type ReplicaKind = 'gateway' | 'api'

/** One replica: `federizer serve --only <kind>` as its own OS process on a fixed loopback port. */
export interface ReplicaProcess {
  kind: ReplicaKind
  name: string
  port: number
  /** Direct URL of this replica (not through haproxy). */
  url: string
  /** The OS process while it runs. */
  child: ChildProcess | undefined
  /** Starts it (again) on the same port and configuration; resolves once `/healthz` answers 200. */
  start(): Promise<void>
  /** Sends `signal` (SIGTERM: a clean stop; SIGKILL: a crash) and waits for the process to end. */
  kill(signal?: NodeJS.Signals): Promise<void>
}

export interface ReplicatedDomain {
  config: DomainConfig
  gateways: ReplicaProcess[]
  apis: ReplicaProcess[]
  haproxy: Haproxy
  /** The SRV records of the domain: its public gateway URL (haproxy). */
  srvRecords: SrvRecord[]
  /** A connection of this process to the domain's shared database. */
  db: Db
  stop(): Promise<void>
}

/**
 * One domain as `gateways` gateway and `apis` api replicas (real OS processes, the production command
 * `federizer serve --config FILE --only gateway|api`) on one fresh PostgreSQL database of the cluster at
 * `postgresAdminUrl`, sharing one data folder (resources/, keys/), behind a private haproxy whose two
 * frontends are the domain's public gateway and api URLs (docs/operations.md, production layout).
 */
export async function startReplicatedDomain(options: {
  domain: string
  users: Array<{ email: string; password: string }>
  dataDir: string
  postgresAdminUrl: string
  dnsAddress: string
  gateways?: number
  apis?: number
  queueTimeScale?: number
}): Promise<ReplicatedDomain> {
  const { domain } = options
  const store = await postgresStore(options.postgresAdminUrl, domain)
  const replicaPorts = async (kind: ReplicaKind, n: number) => {
    const out: Array<{ name: string; port: number }> = []
    for (let i = 1; i <= n; i++) out.push({ name: `${kind}${i}`, port: await freePort() })
    return out
  }
  const gatewayPorts = await replicaPorts('gateway', options.gateways ?? 2)
  const apiPorts = await replicaPorts('api', options.apis ?? 2)
  const front = { gateway: await freePort(), api: await freePort() }
  const config: DomainConfig = {
    domain,
    dataDir: options.dataDir,
    store,
    gatewayUrl: `http://localhost:${front.gateway}`,
    apiUrl: `http://localhost:${front.api}`,
    mtaClientId: `mta.${domain}`,
    webClientId: `webmail.${domain}`,
    dnsServers: [options.dnsAddress],
    // haproxy on loopback appends the client to X-Forwarded-For (docs/operations.md, TLS proxy).
    trustedProxies: ['loopback'],
    allowInsecureTargets: true,
    limits: defaultLimits,
    undoSendSeconds: 0,
    queueTimeScale: options.queueTimeScale ?? 1,
  }
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  // What an operator does once before the replicas start: the key files in the shared folder, the users.
  await loadOrCreateDomainKeys(config)
  const db = await openDatabase(domainPaths(config).database)
  for (const u of options.users) await createUser(db, { email: u.email, password: u.password })
  const replicas = (kind: ReplicaKind, ports: Array<{ name: string; port: number }>) =>
    ports.map((p) => replicaProcess(kind, p.name, p.port, config))
  const gateways = replicas('gateway', gatewayPorts)
  const apis = replicas('api', apiPorts)
  const started: ReplicaProcess[] = []
  let haproxy: Haproxy | undefined
  const stopAll = async () => {
    await haproxy?.stop()
    for (const r of started) await r.kill('SIGTERM')
    await db.destroy()
  }
  try {
    for (const r of [...gateways, ...apis]) {
      started.push(r)
      await r.start()
    }
    haproxy = await startHaproxy([
      { name: 'gateway', port: front.gateway, servers: gatewayPorts },
      { name: 'api', port: front.api, servers: apiPorts },
    ])
  } catch (e) {
    await stopAll()
    throw e
  }
  return {
    config,
    gateways,
    apis,
    haproxy,
    srvRecords: ['as', 'rs'].map((service) => ({
      name: `_federizer._${service}._tcp.${domain}`,
      target: 'localhost',
      port: front.gateway,
      ttl: 5,
    })),
    db,
    stop: stopAll,
  }
}

function replicaProcess(kind: ReplicaKind, name: string, port: number, config: DomainConfig): ReplicaProcess {
  const file = path.join(config.dataDir, `${name}.json`)
  let exited: Promise<void> = Promise.resolve()
  const replica: ReplicaProcess = {
    kind,
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    child: undefined,
    async start() {
      if (replica.child) return
      await writeFile(file, JSON.stringify(toConfigFile(config, { [kind]: { port } }, 'warn')), {
        mode: 0o600,
      })
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', CLI_MAIN, 'serve', '--config', file, '--only', kind],
        { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
      )
      let stderr = ''
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000)
      })
      exited = new Promise((resolve) => child.once('exit', () => resolve()))
      replica.child = child
      void exited.then(() => {
        if (replica.child === child) replica.child = undefined
      })
      const deadline = Date.now() + 60_000
      while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`${kind} replica ${name} of ${config.domain} exited before listening: ${stderr}`)
        const up = await fetch(`${replica.url}/healthz`).then(
          (r) => r.status === 200,
          () => false,
        )
        if (up) return
        await new Promise((r) => setTimeout(r, 100))
      }
      child.kill('SIGKILL')
      throw new Error(`${kind} replica ${name} of ${config.domain} did not listen within 60 s: ${stderr}`)
    },
    async kill(signal = 'SIGTERM') {
      const child = replica.child
      if (!child) return
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    },
  }
  return replica
}
