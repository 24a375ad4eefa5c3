import { createApi } from '@federizer/api'
import { createDomainContext } from '@federizer/domain'
import { createGateway, startInboundSmtp } from '@federizer/gateway'
import type { LoadedConfig } from '@federizer/node'
import pino, { type Logger } from 'pino'

export interface Running {
  urls: { gateway?: string; api?: string; smtp?: string }
  /** Stops accepting requests, lets in-flight work finish, closes the databases. */
  stop(): Promise<void>
}

/**
 * Starts one domain from its configuration: the gateway (with its SMTP listener when `listen.smtp` is
 * set), the api, or both (the production shape), on one domain context (one database connection, one
 * key set, one discovery client) shared by both.
 */
export async function serveDomain(
  loaded: LoadedConfig,
  only?: 'gateway' | 'api',
  logger: Logger = pino({ level: loaded.logLevel }),
): Promise<Running> {
  const { domain: config, listen } = loaded
  const domain = await createDomainContext(config)
  const stops: Array<() => Promise<void>> = [() => domain.close()]
  const urls: Running['urls'] = {}
  try {
    if (only !== 'api') {
      const gateway = await createGateway(domain, {
        logger: logger.child({ domain: config.domain, part: 'gateway' }),
      })
      stops.push(() => gateway.close())
      await gateway.listen(listen.gateway.port, listen.gateway.host)
      urls.gateway = config.gatewayUrl
      // The SMTP bridge's listener (docs/smtp-bridge.md) runs beside the gateway when `listen.smtp` is set.
      if (loaded.smtp) {
        const smtp = await startInboundSmtp(gateway.ctx, loaded.smtp)
        stops.push(() => smtp.close())
        urls.smtp = `smtp://${loaded.smtp.host}:${smtp.port}`
      }
    }
    if (only !== 'gateway') {
      const api = await createApi(domain, { logger: logger.child({ domain: config.domain, part: 'api' }) })
      stops.push(() => api.close())
      await api.listen(listen.api.port, listen.api.host)
      urls.api = config.apiUrl
    }
  } catch (e) {
    for (const stop of stops.reverse()) await stop().catch(() => {})
    throw e
  }
  return {
    urls,
    async stop() {
      for (const stop of stops.reverse()) await stop()
    },
  }
}
