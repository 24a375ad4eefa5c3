import { type ExchangeTokenInput, type ExchangeTokenResult, exchangeToken } from '@federizer/protocol'
import type { DomainKeys } from '@federizer/store'

/** What a caller of the MTA's token exchange chooses; the client, its key and the endpoint are the domain's. */
export type MtaExchange = Omit<
  ExchangeTokenInput,
  'tokenEndpoint' | 'issuer' | 'clientId' | 'clientKey' | 'fetch' | 'now'
>

/**
 * The domain MTA's client at its own AS: RFC 8693 token exchange authenticated with private_key_jwt
 * (RFC 7523) as `config.mtaClientId`. The api uses it at send time, the gateway's MTA to forward and fetch.
 */
export interface MtaTokenClient {
  /** The own AS's token endpoint (`${gatewayUrl}/token`). */
  tokenEndpoint: string
  exchange(input: MtaExchange): Promise<ExchangeTokenResult>
}

export function createMtaTokenClient(deps: {
  gatewayUrl: string
  clientId: string
  keys: DomainKeys
  fetch: typeof fetch
  now: () => number
}): MtaTokenClient {
  const tokenEndpoint = `${deps.gatewayUrl.replace(/\/$/, '')}/token`
  return {
    tokenEndpoint,
    exchange: (input) =>
      exchangeToken({
        ...input,
        tokenEndpoint,
        // The own AS's issuer is the gateway URL: the client assertion's only accepted aud (RFC 7523 §3).
        issuer: deps.gatewayUrl,
        clientId: deps.clientId,
        clientKey: deps.keys.mtaClientKey,
        fetch: deps.fetch,
        now: deps.now,
      }),
  }
}
