import type { DomainContext } from '@federizer/domain'
import pino from 'pino'
import { type AsContext, createAsContext } from './as/context.ts'
import type { GatewayCore, GatewayOptions } from './base.ts'
import { createFederationContext, type FederationContext } from './federation/context.ts'
import type { MailDns } from './smtp/route.ts'

/**
 * Everything a gateway request or worker needs, built once at start-up and passed explicitly: the
 * domain's context plus the gateway's own parts, each area (AS, federation + MTA) built by its own factory.
 */
export interface GatewayContext extends GatewayCore {
  /** MX/TXT/SRV lookups for mail routing beyond Federizer (RFC 5321 §5.1). */
  mailDns: MailDns
  as: AsContext
  federation: FederationContext
}

export async function createGatewayContext(
  domain: DomainContext,
  options: GatewayOptions = {},
): Promise<GatewayContext> {
  const { config, db, now, discovery } = domain
  const logger =
    options.logger ?? pino({ name: `gateway ${config.domain}`, level: process.env.LOG_LEVEL ?? 'info' })
  const base = { domain, config, db, logger, now, discovery }
  const as = createAsContext(base)
  const federation = createFederationContext({ ...base, fetch: domain.peerFetch, options })
  return { ...base, mailDns: domain.dns, as, federation }
}
