import { type Api, type ApiOptions, createApi } from '@federizer/api'
import { createGateway, type Gateway, type GatewayOptions } from '@federizer/gateway'
import type { DomainConfig } from '@federizer/node'

export interface DomainServers {
  /** The domain's gateway (AS + federation + MTA), when asked for. */
  gateway: Gateway | undefined
  api: Api
  /** Stops the api, then the gateway (the data folder stays). */
  close(): Promise<void>
}

/**
 * Starts one domain's servers in this process on fixed loopback ports (chosen by the caller, since both
 * URLs are in the config: `iss` and `aud`): the api, and the gateway when `gateway` is given. The api's
 * own tests start their servers through this, not through another app's sources.
 */
export async function startDomainServers(
  config: DomainConfig,
  options: {
    api: { port: number; options?: ApiOptions }
    gateway?: { port: number; options?: GatewayOptions }
  },
): Promise<DomainServers> {
  const gateway = options.gateway ? await createGateway(config, options.gateway.options) : undefined
  try {
    if (gateway && options.gateway) await gateway.listen(options.gateway.port)
    const api = await createApi(config, options.api.options)
    try {
      await api.listen(options.api.port)
    } catch (e) {
      await api.close()
      throw e
    }
    return {
      gateway,
      api,
      async close() {
        await api.close()
        await gateway?.close()
      },
    }
  } catch (e) {
    await gateway?.close()
    throw e
  }
}
