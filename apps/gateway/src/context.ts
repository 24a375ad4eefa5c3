import { Resolver } from 'node:dns/promises'
import { type DomainConfig, domainPaths } from '@federizer/node'
import { createDiscovery, type Discovery } from '@federizer/protocol'
import { openDatabase } from '@federizer/store'
import pino from 'pino'
import { type AsContext, createAsContext } from './as/context.ts'
import type { GatewayCore, GatewayOptions } from './base.ts'
import { createFederationContext, type FederationContext } from './federation/context.ts'
import { createPeerFetch } from './outbound/peer-fetch.ts'
import { createMailDns, type MailDns } from './smtp/route.ts'

/**
 * Everything a gateway request or worker needs, built once at start-up and passed explicitly.
 * Each area (AS, federation + MTA) adds its own part, built by its own factory.
 */
export interface GatewayContext extends GatewayCore {
  /** MX/TXT/SRV lookups for mail routing beyond Federizer (RFC 5321 §5.1). */
  mailDns: MailDns
  as: AsContext
  federation: FederationContext
  /** Closes the outbound connection pool (called by the gateway's close). */
  closeOutbound(): Promise<void>
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
  // Every request to a peer is pinned to checked addresses, with timeouts (outbound/peer-fetch.ts).
  const peer = options.fetch
    ? undefined
    : createPeerFetch({ allowLoopback: config.allowInsecureTargets === true })
  const fetchImpl = options.fetch ?? (peer as { fetch: typeof fetch }).fetch
  const discovery = createDomainDiscovery(config, { fetch: fetchImpl, now })
  const base = { config, db, logger, now, discovery }
  const as = await createAsContext(base)
  const federation = await createFederationContext({ ...base, as, fetch: fetchImpl, options })
  return { ...base, mailDns: createMailDns(config), as, federation, closeOutbound: async () => peer?.close() }
}
