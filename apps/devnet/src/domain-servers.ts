import { type Api, type ApiOptions, createApi } from '@federizer/api'
import { createDomainContext } from '@federizer/domain'
import { createGateway, type Gateway, type GatewayOptions } from '@federizer/gateway'
import type { DomainConfig } from '@federizer/node'

export interface DomainServers {
  /** The domain's gateway (AS + federation + MTA), when asked for. */
  gateway: Gateway | undefined
  api: Api
  /** Stops the api, then the gateway, then closes their shared domain context (the data folder stays). */
  close(): Promise<void>
}

/**
 * Starts one domain's servers in this process on fixed loopback ports (chosen by the caller, since both
 * URLs are in the config: `iss` and `aud`): the api, and the gateway when `gateway` is given, on one
 * shared domain context. The api's own tests start their servers through this, not through another
 * app's sources.
 */
export async function startDomainServers(
  config: DomainConfig,
  options: {
    api: { port: number; options?: ApiOptions }
    gateway?: { port: number; options?: GatewayOptions }
  },
): Promise<DomainServers> {
  const overrides = { ...options.gateway?.options, ...options.api.options }
  const domain = await createDomainContext(config, {
    ...(overrides.now ? { now: overrides.now } : {}),
    ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
  })
  let gateway: Gateway | undefined
  let api: Api | undefined
  const close = async () => {
    await api?.close()
    await gateway?.close()
    await domain.close()
  }
  try {
    if (options.gateway) {
      gateway = await createGateway(domain, options.gateway.options)
      await gateway.listen(options.gateway.port)
    }
    api = await createApi(domain, options.api.options)
    await api.listen(options.api.port)
    return { gateway, api, close }
  } catch (e) {
    await close()
    throw e
  }
}
