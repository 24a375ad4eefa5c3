import { Resolver } from 'node:dns/promises'
import { createDiscovery, type Discovery } from '@federizer/protocol'
import { type Db, type DomainConfig, domainPaths, openDatabase } from '@federizer/store'
import pino, { type Logger } from 'pino'
import { type AsContext, createAsContext } from './as/context.ts'
import { createFederationContext, type FederationContext } from './federation/context.ts'

/**
 * Everything a gateway request or worker needs, built once at start-up and passed explicitly.
 * Each area (AS, federation + MTA) adds its own part, built by its own factory.
 */
export interface GatewayContext {
  config: DomainConfig
  db: Db
  logger: Logger
  /** Seconds since the epoch; replaced in tests that need a fixed clock. */
  now: () => number
  /** SRV + HTTPS discovery of other domains (DESIGN §3 Discovery), cached with the record TTL. */
  discovery: Discovery
  as: AsContext
  federation: FederationContext
}

export interface GatewayOptions {
  logger?: Logger
  now?: () => number
  /** Start the MTA workers (default true; tests of one area may turn them off). */
  workers?: boolean
  /** On close, how long running MTA jobs may take to finish before they are aborted (default 10 s). */
  shutdownGraceMs?: number
  /** The fetch used for every outgoing request (discovery, delivery, fetch, token exchange). */
  fetch?: typeof fetch
  /** Milliseconds between queue polls when the MTA found nothing to do (default 200). */
  pollIntervalMs?: number
}

/** The base part every area builds on. */
export type GatewayBase = Pick<GatewayContext, 'config' | 'db' | 'logger' | 'now' | 'discovery'> & {
  fetch: typeof fetch
  options: GatewayOptions
}

/** Builds discovery over a node:dns resolver pointed at `config.dnsServers` (the system's when unset). */
export function createDomainDiscovery(
  config: DomainConfig,
  deps: { fetch: typeof fetch; now: () => number },
): Discovery {
  const resolver = new Resolver({ timeout: 2000, tries: 2 })
  if (config.dnsServers?.length) resolver.setServers(config.dnsServers)
  return createDiscovery({
    resolveSrv: (name) => resolver.resolveSrv(name),
    fetch: deps.fetch,
    now: deps.now,
    allowInsecure: config.allowInsecureTargets,
    // A peer that was down is looked up again soon; tests and the demo scale this with the queues.
    failureTtlSeconds: Math.max(1, Math.round(30 * Math.min(1, config.queueTimeScale))),
  })
}

export async function createGatewayContext(
  config: DomainConfig,
  options: GatewayOptions = {},
): Promise<GatewayContext> {
  const db = await openDatabase(domainPaths(config).database)
  const logger =
    options.logger ?? pino({ name: `gateway ${config.domain}`, level: process.env.LOG_LEVEL ?? 'info' })
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))
  const fetchImpl = options.fetch ?? globalThis.fetch
  const discovery = createDomainDiscovery(config, { fetch: fetchImpl, now })
  const base = { config, db, logger, now, discovery }
  const as = await createAsContext(base)
  const federation = await createFederationContext({ ...base, as, fetch: fetchImpl, options })
  return { ...base, as, federation }
}
