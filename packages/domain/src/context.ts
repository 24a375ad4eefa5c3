import { Resolver } from 'node:dns/promises'
import { type DomainConfig, domainPaths, type QueueSchedule, queueSchedule } from '@federizer/node'
import { createDiscovery, type Discovery, type KeyResolver, type ReplayStore } from '@federizer/protocol'
import {
  createReplayStore,
  type Db,
  type DomainKeys,
  loadOrCreateDomainKeys,
  openDatabase,
  ResourceStore,
} from '@federizer/store'
import { cachingKeyResolver } from './key-resolver.ts'
import { createLeanFetch } from './lean-fetch.ts'
import { createMtaTokenClient, type MtaTokenClient } from './mta-tokens.ts'
import { createPeerFetch, type PeerStream } from './peer-fetch.ts'

/**
 * One trust domain in this process: its config, database, keys, resource folder, replay store, key
 * resolver, discovery client, MTA token client and queue schedule, built once by `createDomainContext`
 * and handed to `createGateway` and `createApi`, which add only their own parts. A process running both
 * servers of a domain shares one context (one database connection); `close()` releases what it opened.
 */
export interface DomainContext {
  config: DomainConfig
  paths: ReturnType<typeof domainPaths>
  db: Db
  keys: DomainKeys
  /** The content-addressed resource folder. */
  resources: ResourceStore
  /** Seconds since the epoch; replaced in tests that need a fixed clock. */
  now: () => number
  /** jti replay store on the database (DPoP proofs, client assertions), shared by every replica. */
  replay: ReplayStore
  /** Resolves this domain's own AS keys (its access tokens), re-reading the key file once on an unknown kid. */
  ownKeys: KeyResolver
  /** A resolver pointed at `config.dnsServers` (the system's when unset): SRV, MX, A/AAAA, TXT. */
  dns: Resolver
  /** The fetch of every request to another domain: pinned to checked addresses, with timeouts. */
  peerFetch: typeof fetch
  /** The same agent's POST with a node-stream body, for resources fetched in bulk; absent with a fetch override. */
  peerStream: PeerStream | undefined
  /** SRV + HTTPS discovery of other domains (docs/protocol.md §5), cached with the record TTL. */
  discovery: Discovery
  /** The MTA's token exchange at this domain's own AS. */
  mtaTokens: MtaTokenClient
  /** Backoff, lifetime, delay-notice and lease times, scaled by `config.queueTimeScale` once. */
  schedule: QueueSchedule
  /**
   * The MTAs running on this context (a gateway in the same process), woken by the api when it queued
   * outgoing mail: directly, instead of through the watched file another process needs (queue-wake.ts
   * of @federizer/node). Each is told the recipient domains of the queued rows.
   */
  outboxWakers: Set<(domains: readonly string[]) => void>
  /** Closes the outbound connection pool, and the database when the context opened it. */
  close(): Promise<void>
}

/** Replacements for tests and launchers (atproto's `AppContext.fromConfig(cfg, secrets, overrides)`). */
export interface DomainOverrides {
  now?: () => number
  /** The fetch of every outgoing request (peers and the own AS) instead of the pinned peer fetch. */
  fetch?: typeof fetch
  /** A database already open; the context uses it and leaves closing it to its owner. */
  db?: Db
}

export async function createDomainContext(
  config: DomainConfig,
  overrides: DomainOverrides = {},
): Promise<DomainContext> {
  const paths = domainPaths(config)
  const now = overrides.now ?? (() => Math.floor(Date.now() / 1000))
  const schedule = queueSchedule(config.queueTimeScale)
  const db = overrides.db ?? (await openDatabase(paths.database))
  const ownsDb = overrides.db === undefined
  try {
    const keys = await loadOrCreateDomainKeys(config, { now })
    // Every request to a peer is pinned to checked addresses, with timeouts (peer-fetch.ts).
    const peer = overrides.fetch
      ? undefined
      : createPeerFetch({ allowLoopback: config.allowInsecureTargets === true })
    const peerFetch = overrides.fetch ?? (peer as { fetch: typeof fetch }).fetch
    const dns = new Resolver({ timeout: 2000, tries: 2 })
    if (config.dnsServers?.length) dns.setServers(config.dnsServers)
    const discovery = createDiscovery({
      resolveSrv: (name) => dns.resolveSrv(name),
      fetch: peerFetch,
      now,
      allowInsecure: config.allowInsecureTargets,
      // A peer that was down is looked up again soon; tests and the demo scale this with the queues.
      failureTtlSeconds: schedule.discoveryFailureSeconds,
    })
    // The own AS is configuration, not a peer: reached without the peer checks (it may sit on a private
    // address), through undici's request rather than the global fetch (lean-fetch.ts).
    const lean = overrides.fetch ? undefined : createLeanFetch()
    const mtaTokens = createMtaTokenClient({
      gatewayUrl: config.gatewayUrl,
      clientId: config.mtaClientId,
      keys,
      fetch: overrides.fetch ?? (lean as { fetch: typeof fetch }).fetch,
      inProcess: overrides.fetch === undefined,
      now,
    })
    let closed = false
    return {
      config,
      paths,
      db,
      keys,
      resources: new ResourceStore(paths.resources, db),
      now,
      replay: createReplayStore(db, now),
      // Own keys: re-read when the key file changes, each accepted only inside its signing window.
      ownKeys: cachingKeyResolver({
        jwks: () => keys.publicJwks(),
        refresh: () => keys.refresh(),
        signingWindow: (kid) => keys.signingWindow(kid),
      }),
      dns,
      peerFetch,
      peerStream: peer?.stream,
      discovery,
      mtaTokens,
      schedule,
      outboxWakers: new Set(),
      async close() {
        if (closed) return
        closed = true
        await peer?.close()
        await lean?.close()
        if (ownsDb) await db.destroy()
      },
    }
  } catch (e) {
    if (ownsDb) await db.destroy()
    throw e
  }
}

/**
 * The context a server runs on: the one it is given (shared with the other server of the process; the
 * caller closes it), or one built from a config for this server alone (`owned`, closed with the server).
 */
export async function useOrOpenDomainContext(
  domainOrConfig: DomainContext | DomainConfig,
  overrides: Pick<DomainOverrides, 'now' | 'fetch'> = {},
): Promise<{ domain: DomainContext; owned: DomainContext | undefined }> {
  if ('db' in domainOrConfig) return { domain: domainOrConfig, owned: undefined }
  const owned = await createDomainContext(domainOrConfig, {
    ...(overrides.now ? { now: overrides.now } : {}),
    ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
  })
  return { domain: owned, owned }
}
