/**
 * Child-process entry of the benchmarks: runs one domain's mailbox api (`createApi`) so that its memory
 * is its own. `node --import tsx bench/api-process.ts <config file>` (read by `loadConfigFile`); prints `{"listening":port}`.
 */
import { createApi } from '@federizer/api'
import { loadConfigFile } from '@federizer/node'
import pino from 'pino'

const file = process.argv[2]
if (!file) throw new Error('usage: api-process.ts <config file>')
const { domain: config, listen } = await loadConfigFile(file)
const api = await createApi(config, { logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }) })
const port = await api.listen(listen.api.port, '127.0.0.1')
process.stdout.write(`${JSON.stringify({ listening: port })}\n`)
const stop = () => void api.close().then(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
