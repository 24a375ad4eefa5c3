/**
 * Child-process entry of the benchmarks: runs one whole domain — gateway (AS, federation, MTA) and api —
 * in one process on one domain context, the production shape of `federizer serve` (apps/cli/src/serve.ts):
 * one database connection, and the api's token exchange answered by its AS in-process. `node --import
 * tsx bench/domain-process.ts <config file> [options json]`, with the same options as gateway-process.ts;
 * prints `{"listening":<api port>}` once both listen.
 */
import { createApi } from '@federizer/api'
import { createDomainContext } from '@federizer/domain'
import pino from 'pino'
import { readRunnerArgs, startKnobbedGateway } from './gateway-knobs.ts'

const { config, listen, knobs } = await readRunnerArgs('domain-process.ts')
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' })
const domain = await createDomainContext(config)
const gateway = await startKnobbedGateway(domain, knobs, logger.child({ part: 'gateway' }))
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
