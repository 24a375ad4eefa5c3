/**
 * Child-process entry of the benchmarks: runs one whole domain — gateway (AS, federation, MTA) and api —
 * in one process on one domain context, the production shape of `federizer serve` (apps/cli/src/serve.ts):
 * one database connection, and the api's token exchange answered by its AS in-process. `node --import
 * tsx bench/domain-process.ts <config file> [options json]`, with the same options as gateway-process.ts;
 * prints `{"listening":<api port>}` once both listen.
 */
import { createApi } from '@federizer/api'
import { createDomainContext } from '@federizer/domain'
import { createGateway } from '@federizer/gateway'
import { loadConfigFile } from '@federizer/node'
import pino from 'pino'

const [file, extraJson = '{}'] = process.argv.slice(2)
if (!file) throw new Error('usage: domain-process.ts <config file> [options json]')
const { domain: config, listen } = await loadConfigFile(file)
const extra = JSON.parse(extraJson) as {
  pollIntervalMs?: number
  tokenPerClientMax?: number
  pushMaxBytes?: number
}
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' })
const domain = await createDomainContext(config)
const gateway = await createGateway(domain, {
  logger: logger.child({ part: 'gateway' }),
  ...(extra.pollIntervalMs !== undefined ? { pollIntervalMs: extra.pollIntervalMs } : {}),
  ...(extra.pushMaxBytes !== undefined ? { pushMaxBytes: extra.pushMaxBytes } : {}),
})
if (extra.tokenPerClientMax !== undefined) {
  gateway.ctx.as.limits.tokenPerClient.max = extra.tokenPerClientMax
  gateway.ctx.as.limits.tokenPerMtaClient.max = extra.tokenPerClientMax
}
await gateway.listen(listen.gateway.port, '127.0.0.1')
const api = await createApi(domain, { logger: logger.child({ part: 'api' }) })
const port = await api.listen(listen.api.port, '127.0.0.1')
process.stdout.write(`${JSON.stringify({ listening: port })}\n`)
const stop = () =>
  void api
    .close()
    .then(() => gateway.close())
    .then(() => domain.close())
    .then(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
