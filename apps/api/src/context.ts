import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DomainContext } from '@federizer/domain'
import type { DomainConfig } from '@federizer/node'
import type { Db, DomainKeys, ResourceStore } from '@federizer/store'
import pino, { type Logger } from 'pino'
import { loadTicketSecret } from './http/tickets.ts'
import { VerifiedTokens } from './verified-tokens.ts'

/**
 * Everything a request needs, built once at start-up and passed explicitly (no module singletons): the
 * domain's context (config, database, keys, resources, clock: maybe shared with the gateway) plus the
 * api's own parts.
 */
export interface ApiContext {
  domain: DomainContext
  config: DomainConfig
  db: Db
  resources: ResourceStore
  keys: DomainKeys
  logger: Logger
  /** Seconds since the epoch; replaced in tests. */
  now: () => number
  /** HMAC key of download tickets (shared by replicas through the keys folder). */
  ticketSecret: Buffer
  /** Built webmail served at `/`, when present. */
  webDist: string | undefined
  /** Largest text / HTML part returned inline by message.get (bigger ones are downloaded). */
  maxInlineBytes: number
  /** The access tokens this api has verified, over the domain's key resolver (auth.ts). */
  tokens: VerifiedTokens
}

export interface ApiOptions {
  logger?: Logger
  /** Used when the api builds its own domain context (given a config). */
  now?: () => number
  /** The fetch of the send-time token exchange, when the api builds its own domain context. */
  fetch?: typeof fetch
  /** Folder of the built webmail; default `apps/web/dist` when it exists; `false` to serve none. */
  webDist?: string | false
  maxInlineBytes?: number
  /** Seconds between garbage-collection / tombstone-pruning passes (default 3600); false: none. */
  maintenanceIntervalSeconds?: number | false
  /** false: every tRPC call goes through express too (for measuring the lean route; default true). */
  leanRoutes?: boolean
}

const defaultWebDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist')

export async function createApiContext(domain: DomainContext, options: ApiOptions = {}): Promise<ApiContext> {
  const { config } = domain
  const webDist =
    options.webDist === false
      ? undefined
      : (options.webDist ??
        (existsSync(path.join(defaultWebDist, 'index.html')) ? defaultWebDist : undefined))
  return {
    domain,
    config,
    db: domain.db,
    resources: domain.resources,
    keys: domain.keys,
    logger: options.logger ?? pino({ name: `api ${config.domain}`, level: 'info' }),
    now: domain.now,
    ticketSecret: await loadTicketSecret(domain.paths.keys),
    webDist,
    maxInlineBytes: options.maxInlineBytes ?? 1024 * 1024,
    tokens: new VerifiedTokens(domain.ownKeys),
  }
}
