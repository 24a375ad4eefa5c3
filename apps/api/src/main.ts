/**
 * Runs one domain's mailbox api as its own process. The only file of the api that touches `process`.
 *   node --import tsx apps/api/src/main.ts /path/to/domain-config.json   (or FEDERIZER_CONFIG=…)
 * The JSON is a DomainConfig (as for apps/gateway/src/main.ts) plus optional `apiListenPort`,
 * `apiListenHost` and `webDist`; the api listens on the port of `apiUrl` unless `apiListenPort` is given.
 * Without a file it reads FZ_DOMAIN, FZ_DATA_DIR, FZ_GATEWAY_URL, FZ_API_URL, FZ_MTA_CLIENT_ID,
 * FZ_WEB_CLIENT_ID, FZ_API_PORT, FZ_API_HOST, FZ_ALLOW_INSECURE, FZ_UNDO_SEND_SECONDS,
 * FZ_MAX_RESOURCE_BYTES, FZ_WEB_DIST; LOG_LEVEL in both cases.
 */
import { readFileSync } from 'node:fs'
import { type DomainConfig, defaultLimits } from '@federizer/store'
import pino from 'pino'
import { createApi } from './app.ts'

type ProcessConfig = DomainConfig & { apiListenPort?: number; apiListenHost?: string; webDist?: string }

function required(name: string): string {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}

function fromEnvironment(): ProcessConfig {
  const domain = required('FZ_DOMAIN')
  return {
    domain,
    dataDir: required('FZ_DATA_DIR'),
    gatewayUrl: required('FZ_GATEWAY_URL').replace(/\/$/, ''),
    apiUrl: required('FZ_API_URL').replace(/\/$/, ''),
    mtaClientId: process.env.FZ_MTA_CLIENT_ID ?? `mta.${domain}`,
    webClientId: process.env.FZ_WEB_CLIENT_ID ?? `webmail.${domain}`,
    allowInsecureTargets: process.env.FZ_ALLOW_INSECURE === '1',
    limits: {
      ...defaultLimits,
      ...(process.env.FZ_MAX_RESOURCE_BYTES
        ? { maxResourceBytes: Number(process.env.FZ_MAX_RESOURCE_BYTES) }
        : {}),
    },
    undoSendSeconds: Number(process.env.FZ_UNDO_SEND_SECONDS ?? 10),
    queueTimeScale: 1,
    ...(process.env.FZ_API_PORT ? { apiListenPort: Number(process.env.FZ_API_PORT) } : {}),
    ...(process.env.FZ_API_HOST ? { apiListenHost: process.env.FZ_API_HOST } : {}),
    ...(process.env.FZ_WEB_DIST ? { webDist: process.env.FZ_WEB_DIST } : {}),
  }
}

async function main() {
  const file = process.argv[2] ?? process.env.FEDERIZER_CONFIG
  const config = file ? (JSON.parse(readFileSync(file, 'utf8')) as ProcessConfig) : fromEnvironment()
  const logger = pino({ name: `api ${config.domain}`, level: process.env.LOG_LEVEL ?? 'info' })
  const api = await createApi(config, { logger, ...(config.webDist ? { webDist: config.webDist } : {}) })
  const url = new URL(config.apiUrl)
  const port = config.apiListenPort ?? Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  const bound = await api.listen(port, config.apiListenHost ?? '127.0.0.1')
  logger.info({ port: bound, domain: config.domain }, 'api listening')
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await api.close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((err: unknown) => {
  process.stderr.write(`api failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
