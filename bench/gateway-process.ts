/**
 * Child-process entry of the benchmarks: runs one domain's gateway (`createGateway`: AS, federation, MTA)
 * like apps/gateway/src/main.ts, with the bench's knobs. `node --import tsx bench/gateway-process.ts
 * <config file> [options json]` (the file written by `toConfigFile`, read by `loadConfigFile`); prints `{"listening":port}`. The options may carry `pollIntervalMs`, `pushMaxBytes` (0: the share-then-fetch way only) and
 * `tokenPerClientMax` (overrides the AS's per-client token rate limits per minute, every client's and the
 * domain MTA's; by default 1,200 and 120,000).
 */
import { createGateway } from '@federizer/gateway'
import { loadConfigFile } from '@federizer/node'
import pino from 'pino'

const [file, extraJson = '{}'] = process.argv.slice(2)
if (!file) throw new Error('usage: gateway-process.ts <config file> [options json]')
const { domain: config, listen } = await loadConfigFile(file)
const extra = JSON.parse(extraJson) as {
  pollIntervalMs?: number
  tokenPerClientMax?: number
  pushMaxBytes?: number
}
const gateway = await createGateway(config, {
  logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
  ...(extra.pollIntervalMs !== undefined ? { pollIntervalMs: extra.pollIntervalMs } : {}),
  ...(extra.pushMaxBytes !== undefined ? { pushMaxBytes: extra.pushMaxBytes } : {}),
})
if (extra.tokenPerClientMax !== undefined) {
  gateway.ctx.as.limits.tokenPerClient.max = extra.tokenPerClientMax
  gateway.ctx.as.limits.tokenPerMtaClient.max = extra.tokenPerClientMax
}
const port = await gateway.listen(listen.gateway.port, '127.0.0.1')
process.stdout.write(`${JSON.stringify({ listening: port })}\n`)
const stop = () => void gateway.close().then(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
