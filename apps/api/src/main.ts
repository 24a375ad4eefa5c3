/**
 * Starts one domain's mailbox api from the environment. The only file of the api that reads process.env.
 *   FZ_DOMAIN, FZ_DATA_DIR, FZ_GATEWAY_URL, FZ_API_URL, FZ_MTA_CLIENT_ID, FZ_WEB_CLIENT_ID, FZ_API_PORT,
 *   FZ_API_HOST, FZ_ALLOW_INSECURE, FZ_UNDO_SEND_SECONDS, FZ_MAX_RESOURCE_BYTES, FZ_WEB_DIST, LOG_LEVEL
 */
import { type DomainConfig, defaultLimits } from '@federizer/store'
import pino from 'pino'
import { createApi } from './app.ts'

function required(name: string): string {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}

const domain = required('FZ_DOMAIN')
const config: DomainConfig = {
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
}
const logger = pino({ name: `api ${domain}`, level: process.env.LOG_LEVEL ?? 'info' })
const api = await createApi(config, {
  logger,
  ...(process.env.FZ_WEB_DIST ? { webDist: process.env.FZ_WEB_DIST } : {}),
})
const port = await api.listen(Number(process.env.FZ_API_PORT ?? 8081), process.env.FZ_API_HOST ?? '127.0.0.1')
logger.info({ port }, 'api listening')
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void api.close().then(() => process.exit(0))
  })
}
