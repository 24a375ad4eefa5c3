import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { type Api, createApi } from '@federizer/api'
import { createDomainContext, type DomainContext } from '@federizer/domain'
import {
  createGateway,
  type Gateway,
  type GatewayOptions,
  issueAccessToken,
  loadDkimKey,
} from '@federizer/gateway'
import { type DomainConfig, defaultLimits, domainPaths } from '@federizer/node'
import { createUser, type Db, findUser, openDatabase, setAutoForward } from '@federizer/store'
import type { Logger } from 'pino'
import { type DnsRecords, type DnsServer, type SrvRecord, startDnsServer } from './dns-server.ts'
import { freePort } from './free-port.ts'
import { type GatewayProcess, startGatewayProcess } from './gateway-process.ts'
import { postgresStore, testStore } from './postgres.ts'
import { recentLogger } from './recent-log.ts'
import { type RedirectService, startRedirectService } from './redirect-service.ts'
import { accessTokenFromKeyFolder } from './test-material.ts'

export interface NetworkUser {
  email: string
  password: string
  name?: string
  /** Addresses this user's mail is auto-forwarded to. */
  autoForwardTo?: string[]
  /** With auto-forward, keep (and fetch) a copy in this mailbox too (default false: the seed's pure forward). */
  keepCopy?: boolean
}

export interface NetworkDomain {
  domain: string
  users: NetworkUser[]
  /** Publish the SRV records at a redirect service (the seed's Note 1) instead of the gateway itself. */
  behindRedirect?: boolean
  /** A path for the gateway's base URL, e.g. `/fz` (most useful with `behindRedirect`). */
  gatewayPath?: string
  /** Start the mailbox api too (default true). */
  api?: boolean
  /**
   * Run the gateway as its own OS process (apps/gateway/src/main.ts under tsx) instead of in this
   * process, so it can be SIGKILLed (`node.kill()`). `node.gateway` stays undefined; use `node.db()`.
   */
  gatewayProcess?: boolean
  /** Options for this domain's in-process gateway, over the network's `gatewayOptions` (e.g. `pushMaxBytes: 0`). */
  gatewayOptions?: GatewayOptions
  /** Fixed ports (default: free ports chosen at start). */
  gatewayPort?: number
  apiPort?: number
}

export interface StartNetworkOptions {
  domains: NetworkDomain[]
  /** Each domain gets `<dataRoot>/<domain>/` (database, resources, keys). */
  dataRoot: string
  /** Fixed DNS port (default: a free one). */
  dnsPort?: number
  /** TTL of the published SRV records in seconds (default 5: restarts are seen quickly). */
  srvTtl?: number
  /** DomainConfig.queueTimeScale for every node (default 1). */
  queueTimeScale?: number
  /** The port outbound SMTP uses on every MX (a private Postfix in tests and the demo; default 25). */
  smtpOutboundPort?: number
  /** DomainConfig.undoSendSeconds for every node (default 0: sent mail leaves at once). */
  undoSendSeconds?: number
  limits?: Partial<DomainConfig['limits']>
  logger?: Logger
  /** Passed to every gateway (e.g. `pollIntervalMs`, `workers: false`). */
  gatewayOptions?: GatewayOptions
  /**
   * Maintenance URL of a PostgreSQL cluster: each domain gets a fresh, migrated database there instead of
   * its SQLite file (the demo's `--store postgres`). Default: the test switch (postgres.ts).
   */
  postgresAdminUrl?: string
}

export interface NetworkNode {
  domain: string
  config: DomainConfig
  gatewayUrl: string
  apiUrl: string
  gatewayPort: number
  apiPort: number
  /** The running gateway (undefined while stopped). */
  gateway: Gateway | undefined
  /** The gateway's OS process when `gatewayProcess` is set and it runs. */
  process: GatewayProcess | undefined
  /** The running api (undefined while stopped or when not started). */
  api: Api | undefined
  redirect?: RedirectService
  running: boolean
  /** Stops the gateway and api (the data folder stays); SRV records keep pointing at the same ports. */
  stop(): Promise<void>
  /** Starts them again on the same ports and data. */
  start(): Promise<void>
  /** Kills the gateway process with `signal` (default SIGKILL) and stops the api: a crash, not a shutdown. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /**
   * The node's one database connection in this process (opened on first use, closed by the network's
   * stop): its in-process servers use it too, across restarts.
   */
  db(): Promise<Db>
  /** A webmail access token (at+jwt, RFC 9068) for a user, signed by this node's AS key. */
  accessToken(email: string): Promise<string>
}

export interface Network {
  nodes: Map<string, NetworkNode>
  dns: DnsServer
  node(domain: string): NetworkNode
  /** The SRV records the DNS server publishes for the nodes. */
  srvRecords(): SrvRecord[]
  stop(): Promise<void>
}

/**
 * The SMTP-side records of every Federizer domain, as an operator publishes them (docs/operations.md):
 * MX `mx.<domain>` (on 127.0.0.1 here), SPF allowing only that address, a DMARC policy and the DKIM key
 * of outbound SMTP (RFC 7208, RFC 6376 §3.6.2.1, RFC 7489 §6.1).
 */
async function mailRecords(configs: DomainConfig[]): Promise<DnsRecords> {
  const out: Required<Pick<DnsRecords, 'mx' | 'a' | 'txt'>> = { mx: [], a: [], txt: [] }
  for (const c of configs) {
    out.mx.push({ name: c.domain, exchange: `mx.${c.domain}`, priority: 10 })
    out.a.push({ name: `mx.${c.domain}`, address: '127.0.0.1' })
    out.txt.push({ name: c.domain, data: 'v=spf1 ip4:127.0.0.1 -all' })
    out.txt.push({ name: `_dmarc.${c.domain}`, data: 'v=DMARC1; p=quarantine' })
    out.txt.push((await loadDkimKey(c)).txt)
  }
  return out
}

/**
 * Starts a development network of Federizer nodes in this process: a real DNS server on 127.0.0.1 with
 * each domain's `_federizer._as._tcp` and `_federizer._rs._tcp` SRV records (target `localhost`, or a
 * redirect service), and per domain a gateway (AS + federation + MTA) and a mailbox api on loopback
 * ports, with its own data folder and seeded users.
 */
export async function startNetwork(options: StartNetworkOptions): Promise<Network> {
  const dns = await startDnsServer({ port: options.dnsPort })
  const logger = options.logger ?? recentLogger()
  const nodes = new Map<string, NetworkNode>()
  const ttl = options.srvTtl ?? 5
  const srv: SrvRecord[] = []
  try {
    for (const spec of options.domains) {
      const gatewayPort = spec.gatewayPort ?? (await freePort())
      const apiPort = spec.apiPort ?? (await freePort())
      const gatewayUrl = `http://localhost:${gatewayPort}${spec.gatewayPath ?? ''}`.replace(/\/$/, '')
      const store = options.postgresAdminUrl
        ? await postgresStore(options.postgresAdminUrl, spec.domain)
        : await testStore(spec.domain)
      const config: DomainConfig = {
        domain: spec.domain,
        dataDir: path.join(options.dataRoot, spec.domain),
        ...(store ? { store } : {}),
        gatewayUrl,
        apiUrl: `http://localhost:${apiPort}`,
        mtaClientId: `mta.${spec.domain}`,
        webClientId: `webmail.${spec.domain}`,
        dnsServers: [dns.address],
        allowInsecureTargets: true,
        limits: { ...defaultLimits, ...options.limits },
        undoSendSeconds: options.undoSendSeconds ?? 0,
        queueTimeScale: options.queueTimeScale ?? 1,
        ...(options.smtpOutboundPort ? { smtpOutboundPort: options.smtpOutboundPort } : {}),
      }
      await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
      const redirect = spec.behindRedirect ? await startRedirectService(gatewayUrl) : undefined
      const srvPort = redirect ? redirect.port : gatewayPort
      for (const service of ['as', 'rs']) {
        srv.push({
          name: `_federizer._${service}._tcp.${spec.domain}`,
          target: 'localhost',
          port: srvPort,
          ttl,
        })
      }
      const node = createNode({
        spec,
        config,
        gatewayPort,
        apiPort,
        redirect,
        logger,
        gatewayOptions: options.gatewayOptions,
      })
      nodes.set(spec.domain, node)
      await seedUsers(config, spec.users)
      await node.start()
    }
    dns.setRecords({ srv, ...(await mailRecords([...nodes.values()].map((n) => n.config))) })
  } catch (e) {
    for (const n of nodes.values()) await n.stop().catch(() => {})
    for (const n of nodes.values()) await n.redirect?.close().catch(() => {})
    await dns.close()
    throw e
  }
  return {
    nodes,
    dns,
    node(domain) {
      const n = nodes.get(domain)
      if (!n) throw new Error(`no node for ${domain} in this network`)
      return n
    },
    srvRecords: () => srv,
    async stop() {
      for (const n of nodes.values()) await n.stop()
      for (const n of nodes.values()) await n.redirect?.close()
      for (const n of nodes.values()) await (n as NetworkNode & { closeDb(): Promise<void> }).closeDb()
      await dns.close()
    },
  }
}

async function seedUsers(config: DomainConfig, users: NetworkUser[]) {
  const db = await openDatabase(domainPaths(config).database)
  try {
    for (const u of users) {
      // Seeded once: starting again on the same data keeps the user's own later changes (settings too).
      if (await findUser(db, u.email)) continue
      await createUser(db, { email: u.email, password: u.password, ...(u.name ? { name: u.name } : {}) })
      if (u.autoForwardTo?.length)
        await setAutoForward(db, u.email.toLowerCase(), u.autoForwardTo, { keepCopy: u.keepCopy ?? false })
    }
  } finally {
    await db.destroy()
  }
}

function createNode(input: {
  spec: NetworkDomain
  config: DomainConfig
  gatewayPort: number
  apiPort: number
  redirect: RedirectService | undefined
  logger: Logger
  gatewayOptions: GatewayOptions | undefined
}): NetworkNode {
  const { spec, config } = input
  let database: Promise<Db> | undefined
  let domain: DomainContext | undefined
  const closeDomain = async () => {
    const d = domain
    domain = undefined
    await d?.close()
  }
  const node: NetworkNode & { closeDb(): Promise<void> } = {
    domain: spec.domain,
    config,
    gatewayUrl: config.gatewayUrl,
    apiUrl: config.apiUrl,
    gatewayPort: input.gatewayPort,
    apiPort: input.apiPort,
    gateway: undefined,
    process: undefined,
    api: undefined,
    ...(input.redirect ? { redirect: input.redirect } : {}),
    running: false,
    async start() {
      if (node.running) return
      // The servers of this node in this process share one domain context on the node's one connection.
      const inProcess = !spec.gatewayProcess || spec.api !== false
      const gatewayOptions = { ...input.gatewayOptions, ...spec.gatewayOptions }
      const shared = inProcess
        ? await createDomainContext(config, {
            db: await node.db(),
            ...(gatewayOptions.now ? { now: gatewayOptions.now } : {}),
            ...(gatewayOptions.fetch ? { fetch: gatewayOptions.fetch } : {}),
          })
        : undefined
      domain = shared
      try {
        if (spec.gatewayProcess) {
          node.process = await startGatewayProcess(config, {
            port: input.gatewayPort,
            ...(input.gatewayOptions?.pollIntervalMs !== undefined
              ? { pollIntervalMs: input.gatewayOptions.pollIntervalMs }
              : {}),
          })
        } else {
          const gateway = await createGateway(shared as DomainContext, {
            logger: input.logger.child({ domain: spec.domain, part: 'gateway' }),
            // Tests stop and restart nodes mid-delivery: abort at once (leases make it safe) unless asked.
            shutdownGraceMs: 0,
            ...gatewayOptions,
          })
          node.gateway = gateway
          await gateway.listen(input.gatewayPort)
        }
        if (spec.api !== false) {
          const api = await createApi(shared as DomainContext, {
            logger: input.logger.child({ domain: spec.domain, part: 'api' }),
          })
          node.api = api
          await api.listen(input.apiPort)
        }
      } catch (e) {
        await node.stop()
        throw e
      }
      node.running = true
    },
    async stop() {
      const { gateway, api, process: child } = node
      node.gateway = undefined
      node.api = undefined
      node.process = undefined
      node.running = false
      await api?.close()
      await gateway?.close()
      await child?.kill('SIGTERM')
      await closeDomain()
    },
    async kill(signal = 'SIGKILL') {
      const { api, process: child } = node
      if (!child) throw new Error(`${spec.domain} does not run its gateway as a process`)
      node.process = undefined
      node.api = undefined
      node.running = false
      await child.kill(signal)
      await api?.close()
      await closeDomain()
    },
    db() {
      database ??= openDatabase(domainPaths(config).database)
      return database
    },
    async closeDb() {
      const d = database
      database = undefined
      if (d) await (await d).destroy()
    },
    async accessToken(email) {
      if (node.gateway) {
        const { token } = await issueAccessToken(node.gateway.ctx, {
          account: email.toLowerCase(),
          clientId: config.webClientId,
          scope: 'mail',
        })
        return token
      }
      // The gateway runs elsewhere: sign with the AS key from the data folder, as the AS itself would.
      return accessTokenFromKeyFolder(config, email)
    },
  }
  return node
}
