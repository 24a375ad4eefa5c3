import { chmod, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import {
  LEGACY_DOMAIN,
  type LegacyDomain,
  type Network,
  type PostgresCluster,
  postfixInstalled,
  startLegacyDomain,
  startNetwork,
  startPostgres,
} from '@federizer/devnet'
import { createUser, type Db, findUser, setAutoForward } from '@federizer/store'
import pino from 'pino'

/** The demo's fixed, documented ports (docs/operations.md). */
export const DEMO_PORTS = {
  dns: 5300,
  /** The private Postfix of legacy.test (its smtpd; outbound SMTP of every domain connects here). */
  postfix: 2525,
  'example.com': { api: 4100, gateway: 4101, smtp: 4125 },
  'example.net': { api: 4200, gateway: 4201, smtp: 4225 },
  'example.org': { api: 4300, gateway: 4301, smtp: 4325 },
} as const

type DemoDomain = 'example.com' | 'example.net' | 'example.org'

export const DEMO_USERS = [
  { email: 'alice@example.com', name: 'Alice', password: 'alice-in-venice' },
  { email: 'bob@example.net', name: 'Bob', password: 'bob-in-paris', autoForwardTo: ['bobby@example.org'] },
  { email: 'bobby@example.org', name: 'Bobby', password: 'bobby-in-oslo' },
] as const

type DemoUser = (typeof DEMO_USERS)[number]

/**
 * Creates a demo user and applies its seeded settings — only when the user does not exist yet: a
 * restart keeps users, mail and whatever the user changed since (e.g. auto-forward turned off).
 * Returns whether the user was created.
 */
export async function seedDemoUser(db: Db, u: DemoUser): Promise<boolean> {
  if (await findUser(db, u.email)) return false
  await createUser(db, { email: u.email, password: u.password, name: u.name })
  if ('autoForwardTo' in u) await setAutoForward(db, u.email, [...u.autoForwardTo], { keepCopy: true })
  return true
}

export interface Demo {
  network: Network
  webmail: Array<{ domain: string; url: string }>
  logFile: string
  /** legacy.test, the SMTP-only domain, when Postfix is installed (and started). */
  legacy?: LegacyDomain
  /** Why legacy.test is not in the demo, and how to add it (when `legacy` is unset). */
  legacyOff?: string
  /** With `--store postgres`: the maintenance URL of the run's private cluster. */
  postgresUrl?: string
  stop(): Promise<void>
}

/** What the banner says when Postfix is missing: how to bring legacy.test into the demo. */
export const POSTFIX_MISSING =
  'Postfix is not installed. To add it: sudo apt-get install postfix (choose "No configuration"; the demo runs its own private instance), then start the demo again.'

/**
 * legacy.test beside the three domains: each domain's SMTP listener on its fixed port, a private
 * Postfix in `<dataRoot>/legacy.test/` on port 2525, and Carol answering what she receives.
 */
async function addLegacyDomain(network: Network, dataRoot: string) {
  if (!postfixInstalled()) return { legacyOff: POSTFIX_MISSING }
  try {
    // Postfix's own user passes through the data folder to its own (each domain's folder stays 0700).
    await chmod(dataRoot, 0o711)
    const legacy = await startLegacyDomain(network, {
      dir: path.join(dataRoot, LEGACY_DOMAIN),
      postfixPort: DEMO_PORTS.postfix,
      listenerPorts: Object.fromEntries(
        [...network.nodes.keys()].map((d) => [d, DEMO_PORTS[d as DemoDomain].smtp]),
      ),
      autoReply: true,
    })
    return { legacy }
  } catch (e) {
    return { legacyOff: `the private Postfix did not start (${(e as Error).message.split('\n')[0]})` }
  }
}

/**
 * The three-domain demo: a real DNS server on 127.0.0.1:5300 with the SRV records, example.org published
 * behind the seed's redirect service with its gateway under /fz, seeded users (created once; a restart
 * keeps users and mail), each domain's webmail served by its api — and, when Postfix is installed,
 * legacy.test: an SMTP-only domain (a private Postfix) that the three exchange mail with over SMTP.
 */
export async function startDemo(options: {
  dataRoot: string
  undoSendSeconds?: number
  /** `postgres`: the domains' databases live in a private PostgreSQL cluster started for this run. */
  store?: 'sqlite' | 'postgres'
}): Promise<Demo> {
  const dataRoot = path.resolve(options.dataRoot)
  await mkdir(dataRoot, { recursive: true, mode: 0o700 })
  const logFile = path.join(dataRoot, 'demo.log')
  const logger = pino(
    { level: process.env.LOG_LEVEL ?? 'info' },
    pino.destination({ dest: logFile, sync: false, mkdir: true }),
  )
  // The cluster's data lives in a temporary folder and goes with `stop`: users are seeded afresh each run.
  const cluster: PostgresCluster | undefined =
    options.store === 'postgres' ? await startPostgres({ durable: true }) : undefined
  const network = await startNetwork({
    dataRoot,
    ...(cluster ? { postgresAdminUrl: cluster.url('postgres') } : {}),
    dnsPort: DEMO_PORTS.dns,
    undoSendSeconds: options.undoSendSeconds ?? 5,
    logger,
    smtpOutboundPort: DEMO_PORTS.postfix,
    gatewayOptions: { shutdownGraceMs: 10_000 },
    domains: [
      { domain: 'example.com', users: [], apiPort: 4100, gatewayPort: 4101 },
      { domain: 'example.net', users: [], apiPort: 4200, gatewayPort: 4201 },
      {
        domain: 'example.org',
        users: [],
        apiPort: 4300,
        gatewayPort: 4301,
        gatewayPath: '/fz',
        behindRedirect: true,
      },
    ],
  })
  let smtp: Pick<Demo, 'legacy' | 'legacyOff'> = {}
  try {
    smtp = await addLegacyDomain(network, dataRoot)
    for (const u of DEMO_USERS) {
      const node = network.node(u.email.split('@')[1]!)
      // The node's own connection: its servers run in this process on it.
      await seedDemoUser(await node.db(), u)
    }
    // One configuration file per domain, for `federizer --config data/<domain>.json list|send|show|user`.
    for (const node of network.nodes.values()) {
      const file = path.join(dataRoot, `${node.domain}.json`)
      const config = {
        domain: node.domain,
        dataDir: node.config.dataDir,
        ...(node.config.store ? { store: node.config.store } : {}),
        gatewayUrl: node.config.gatewayUrl,
        apiUrl: node.config.apiUrl,
        dnsServers: node.config.dnsServers,
        development: true,
        listen: {
          gateway: { port: node.gatewayPort },
          api: { port: node.apiPort },
          ...(smtp.legacy ? { smtp: { port: DEMO_PORTS[node.domain as DemoDomain].smtp } } : {}),
        },
        smtp: { outboundPort: DEMO_PORTS.postfix },
        undoSendSeconds: node.config.undoSendSeconds,
      }
      await writeFile(file, `${JSON.stringify(config, null, 2)}\n`)
    }
  } catch (e) {
    await smtp.legacy?.stop()
    await network.stop()
    await cluster?.stop()
    throw e
  }
  return {
    network,
    logFile,
    ...smtp,
    ...(cluster ? { postgresUrl: cluster.url('postgres') } : {}),
    webmail: [...network.nodes.values()].map((n) => ({ domain: n.domain, url: n.apiUrl })),
    async stop() {
      await smtp.legacy?.stop()
      await network.stop()
      await cluster?.stop()
      logger.flush()
    },
  }
}
