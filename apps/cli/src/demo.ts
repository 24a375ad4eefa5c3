import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { type Network, startNetwork } from '@federizer/devnet'
import { createUser, type Db, findUser, openDatabase, setAutoForward } from '@federizer/store'
import pino from 'pino'

/** The demo's fixed, documented ports (docs/operations.md). */
export const DEMO_PORTS = {
  dns: 5300,
  'example.com': { api: 4100, gateway: 4101 },
  'example.net': { api: 4200, gateway: 4201 },
  'example.org': { api: 4300, gateway: 4301 },
} as const

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
  stop(): Promise<void>
}

/**
 * The three-domain demo: a real DNS server on 127.0.0.1:5300 with the SRV records, example.org published
 * behind the seed's redirect service with its gateway under /fz, seeded users (created once; a restart
 * keeps users and mail), and each domain's webmail served by its api.
 */
export async function startDemo(options: { dataRoot: string; undoSendSeconds?: number }): Promise<Demo> {
  const dataRoot = path.resolve(options.dataRoot)
  await mkdir(dataRoot, { recursive: true, mode: 0o700 })
  const logFile = path.join(dataRoot, 'demo.log')
  const logger = pino(
    { level: process.env.LOG_LEVEL ?? 'info' },
    pino.destination({ dest: logFile, sync: false, mkdir: true }),
  )
  const network = await startNetwork({
    dataRoot,
    dnsPort: DEMO_PORTS.dns,
    undoSendSeconds: options.undoSendSeconds ?? 5,
    logger,
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
  try {
    for (const u of DEMO_USERS) {
      const node = network.node(u.email.split('@')[1]!)
      const db = await openDatabase(path.join(node.config.dataDir, 'mail.sqlite'))
      try {
        await seedDemoUser(db, u)
      } finally {
        await db.destroy()
      }
    }
    // One configuration file per domain, for `federizer --config data/<domain>.json list|send|show|user`.
    for (const node of network.nodes.values()) {
      const file = path.join(dataRoot, `${node.domain}.json`)
      const config = {
        domain: node.domain,
        dataDir: node.config.dataDir,
        gatewayUrl: node.config.gatewayUrl,
        apiUrl: node.config.apiUrl,
        dnsServers: node.config.dnsServers,
        development: true,
        listen: { gateway: { port: node.gatewayPort }, api: { port: node.apiPort } },
        undoSendSeconds: node.config.undoSendSeconds,
      }
      await writeFile(file, `${JSON.stringify(config, null, 2)}\n`)
    }
  } catch (e) {
    await network.stop()
    throw e
  }
  return {
    network,
    logFile,
    webmail: [...network.nodes.values()].map((n) => ({ domain: n.domain, url: n.apiUrl })),
    async stop() {
      await network.stop()
      logger.flush()
    },
  }
}
