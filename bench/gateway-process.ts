/**
 * Child-process entry of the benchmarks: runs one domain's gateway (`createGateway`: AS, federation, MTA)
 * like apps/gateway/src/main.ts, with the bench's knobs. `node --import tsx bench/gateway-process.ts
 * <config.json>`; prints `{"listening":port}`. The config may carry `pollIntervalMs` and
 * `tokenPerClientMax` (overrides the AS's per-client token rate limits per minute, every client's and the
 * domain MTA's; by default 1,200 and 120,000).
 */
import { readFileSync } from 'node:fs'
import { createGateway } from '@federizer/gateway'
import type { DomainConfig } from '@federizer/store'
import pino from 'pino'

type Config = DomainConfig & { listenPort: number; pollIntervalMs?: number; tokenPerClientMax?: number }

const file = process.argv[2]
if (!file) throw new Error('usage: gateway-process.ts <config.json>')
const config = JSON.parse(readFileSync(file, 'utf8')) as Config
const gateway = await createGateway(config, {
  logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
  ...(config.pollIntervalMs !== undefined ? { pollIntervalMs: config.pollIntervalMs } : {}),
})
if (config.tokenPerClientMax !== undefined) {
  gateway.ctx.as.limits.tokenPerClient.max = config.tokenPerClientMax
  gateway.ctx.as.limits.tokenPerMtaClient.max = config.tokenPerClientMax
}
const port = await gateway.listen(config.listenPort, '127.0.0.1')
process.stdout.write(`${JSON.stringify({ listening: port })}\n`)
const stop = () => void gateway.close().then(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
