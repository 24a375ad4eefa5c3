/**
 * Child-process entry of the benchmarks: runs one domain's gateway (`createGateway`: AS, federation, MTA)
 * like apps/gateway/src/main.ts, with the bench's knobs. `node --import tsx bench/gateway-process.ts
 * <config file> [options json]` (the file written by `toConfigFile`, read by `loadConfigFile`); prints
 * `{"listening":port}`. The options may carry `pollIntervalMs`, `pushMaxBytes` (0: the share-then-fetch
 * way only) and `tokenPerClientMax` (overrides the AS's per-client token rate limits per minute, every
 * client's and the domain MTA's; by default 1,200 and 120,000).
 */
import pino from 'pino'
import { readRunnerArgs, startKnobbedGateway } from './gateway-knobs.ts'

const { config, listen, knobs } = await readRunnerArgs('gateway-process.ts')
const gateway = await startKnobbedGateway(config, knobs, pino({ level: process.env.LOG_LEVEL ?? 'warn' }))
const port = await gateway.listen(listen.gateway.port, '127.0.0.1')
process.stdout.write(`${JSON.stringify({ listening: port })}\n`)
const stop = () => void gateway.close().then(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
