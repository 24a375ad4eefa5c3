import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type DomainConfig, domainPaths } from '@federizer/node'
import {
  type Db,
  type DomainKeys,
  loadOrCreateDomainKeys,
  openDatabase,
  ResourceStore,
} from '@federizer/store'
import pino, { type Logger } from 'pino'
import { loadTicketSecret } from './http/tickets.ts'

/** Everything a request needs, built once at start-up and passed explicitly (no module singletons). */
export interface ApiContext {
  config: DomainConfig
  db: Db
  resources: ResourceStore
  keys: DomainKeys
  logger: Logger
  /** Seconds since the epoch; replaced in tests. */
  now: () => number
  /** Used for the token exchange with the domain's AS. */
  fetch: typeof fetch
  /** HMAC key of download tickets (shared by replicas through the keys folder). */
  ticketSecret: Buffer
  /** Built webmail served at `/`, when present. */
  webDist: string | undefined
  /** Largest text / HTML part returned inline by message.get (bigger ones are downloaded). */
  maxInlineBytes: number
}

export interface ApiOptions {
  logger?: Logger
  now?: () => number
  fetch?: typeof fetch
  /** Folder of the built webmail; default `apps/web/dist` when it exists; `false` to serve none. */
  webDist?: string | false
  maxInlineBytes?: number
  /** Seconds between garbage-collection / tombstone-pruning passes (default 3600); false: none. */
  maintenanceIntervalSeconds?: number | false
}

const defaultWebDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist')

export async function createApiContext(config: DomainConfig, options: ApiOptions = {}): Promise<ApiContext> {
  const paths = domainPaths(config)
  const db = await openDatabase(paths.database)
  const keys = await loadOrCreateDomainKeys(config)
  const webDist =
    options.webDist === false
      ? undefined
      : (options.webDist ??
        (existsSync(path.join(defaultWebDist, 'index.html')) ? defaultWebDist : undefined))
  return {
    config,
    db,
    resources: new ResourceStore(paths.resources),
    keys,
    logger: options.logger ?? pino({ name: `api ${config.domain}`, level: 'info' }),
    now: options.now ?? (() => Math.floor(Date.now() / 1000)),
    fetch: options.fetch ?? fetch,
    ticketSecret: await loadTicketSecret(paths.keys),
    webDist,
    maxInlineBytes: options.maxInlineBytes ?? 1024 * 1024,
  }
}
