import { type Db, type DomainConfig, domainPaths, openDatabase } from '@federizer/store'
import pino, { type Logger } from 'pino'
import { type AsContext, createAsContext } from './as/context.ts'
import { type FederationContext, createFederationContext } from './federation/context.ts'

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
  as: AsContext
  federation: FederationContext
}

export interface GatewayOptions {
  logger?: Logger
  now?: () => number
  /** Start the MTA workers (default true; tests of one area may turn them off). */
  workers?: boolean
}

export async function createGatewayContext(config: DomainConfig, options: GatewayOptions = {}): Promise<GatewayContext> {
  const db = await openDatabase(domainPaths(config).database)
  const logger = options.logger ?? pino({ name: `gateway ${config.domain}`, level: process.env.LOG_LEVEL ?? 'info' })
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))
  const base = { config, db, logger, now }
  const as = await createAsContext(base)
  const federation = await createFederationContext({ ...base, as })
  return { ...base, as, federation }
}
