/**
 * What bench/gateway-process.ts and bench/domain-process.ts share: their command line (`<config file>
 * [options json]`) and the bench's knobs applied to the gateway they start.
 */

import type { DomainContext } from '@federizer/domain'
import { createGateway } from '@federizer/gateway'
import { type DomainConfig, loadConfigFile } from '@federizer/node'
import type { Logger } from 'pino'

/** The options json: `pollIntervalMs`, `pushMaxBytes` (0: the share-then-fetch way only), `tokenPerClientMax`. */
export interface GatewayKnobs {
  pollIntervalMs?: number
  /** Overrides the AS's per-client token limits per minute, every client's and the domain MTA's. */
  tokenPerClientMax?: number
  pushMaxBytes?: number
}

/** Reads the runner's arguments: the config file (`toConfigFile`'s, read by `loadConfigFile`) and the knobs. */
export async function readRunnerArgs(runner: string) {
  const [file, extraJson = '{}'] = process.argv.slice(2)
  if (!file) throw new Error(`usage: ${runner} <config file> [options json]`)
  const { domain: config, listen } = await loadConfigFile(file)
  return { config, listen, knobs: JSON.parse(extraJson) as GatewayKnobs }
}

/** `createGateway` with the bench's knobs. */
export async function startKnobbedGateway(
  domainOrConfig: DomainContext | DomainConfig,
  knobs: GatewayKnobs,
  logger: Logger,
) {
  const gateway = await createGateway(domainOrConfig, {
    logger,
    ...(knobs.pollIntervalMs !== undefined ? { pollIntervalMs: knobs.pollIntervalMs } : {}),
    ...(knobs.pushMaxBytes !== undefined ? { pushMaxBytes: knobs.pushMaxBytes } : {}),
  })
  if (knobs.tokenPerClientMax !== undefined) {
    gateway.ctx.as.limits.tokenPerClient.max = knobs.tokenPerClientMax
    gateway.ctx.as.limits.tokenPerMtaClient.max = knobs.tokenPerClientMax
  }
  return gateway
}
