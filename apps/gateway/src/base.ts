import type { DomainContext } from '@federizer/domain'
import type { DomainConfig } from '@federizer/node'
import type { Discovery } from '@federizer/protocol'
import type { Db } from '@federizer/store'
import type { Logger } from 'pino'

/** The part of the gateway context every area (AS, federation + MTA) builds on. */
export interface GatewayCore {
  /** The domain's own room (database, keys, replay store, discovery, schedule), maybe shared with the api. */
  domain: DomainContext
  config: DomainConfig
  db: Db
  logger: Logger
  /** Seconds since the epoch; replaced in tests that need a fixed clock. */
  now: () => number
  /** SRV + HTTPS discovery of other domains (docs/protocol.md §5), cached with the record TTL. */
  discovery: Discovery
}

export interface GatewayOptions {
  logger?: Logger
  /** Used when the gateway builds its own domain context (given a config); a given context has its clock. */
  now?: () => number
  /** Start the MTA workers (default true; tests of one area may turn them off). */
  workers?: boolean
  /**
   * false: every request goes through the express app, the server-to-server token, delivery and fetch
   * requests too (which are otherwise answered before it: as/token-lean.ts, federation/lean.ts, with the
   * same handlers). For a test that puts its own middleware in front of the app's routes.
   */
  leanRoutes?: boolean
  /** On close, how long running MTA jobs may take to finish before they are aborted (default 10 s). */
  shutdownGraceMs?: number
  /** The fetch of every outgoing request (discovery, delivery, fetch, token exchange), when the gateway
   * builds its own domain context (given a config). */
  fetch?: typeof fetch
  /**
   * Milliseconds between queue polls when the MTA found nothing to do. Default: the schedule's safety
   * net on PostgreSQL (LISTEN/NOTIFY wakes the MTA), 200 ms on SQLite (mta/workers.ts).
   */
  pollIntervalMs?: number
  /**
   * Pushed resources (docs/protocol.md §6): the most this node accepts per delivery and advertises in
   * its /.well-known/federizer, and pushes to a peer that advertises it. Default PUSH_MAX_BYTES (64 KiB);
   * 0: neither (a node of before the push way).
   */
  pushMaxBytes?: number
}

/** The base part every area builds on. */
export type GatewayBase = GatewayCore & {
  fetch: typeof fetch
  options: GatewayOptions
}
