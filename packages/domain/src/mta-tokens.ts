import { type ExchangeTokenInput, type ExchangeTokenResult, exchangeToken } from '@federizer/protocol'
import type { DomainKeys } from '@federizer/store'

/** What a caller of the MTA's token exchange chooses; the client, its key and the endpoint are the domain's. */
export type MtaExchange = Omit<
  ExchangeTokenInput,
  'tokenEndpoint' | 'issuer' | 'clientId' | 'clientKey' | 'fetch' | 'now'
>

/**
 * The own AS's token endpoint called in this process: the form and the `DPoP` header as they would be
 * posted, the answer as it would be sent. The gateway provides it (apps/gateway/src/as/in-process.ts).
 */
export type InProcessTokenEndpoint = (request: {
  form: URLSearchParams
  dpop: string | undefined
}) => Promise<{ status: number; headers: Record<string, string>; body: object }>

/**
 * The domain MTA's client at its own AS: RFC 8693 token exchange authenticated with private_key_jwt
 * (RFC 7523) as `config.mtaClientId`. The api uses it at send time, the gateway's MTA to forward and fetch.
 */
export interface MtaTokenClient {
  /** The own AS's token endpoint (`${gatewayUrl}/token`). */
  tokenEndpoint: string
  exchange(input: MtaExchange): Promise<ExchangeTokenResult>
  /**
   * Calls `endpoint` instead of POSTing to the token endpoint, while the AS runs in this process: the
   * same request (client assertion, DPoP proof) and the same checks, without the HTTP round trip.
   * Returns the function that stops it. A client given its own `fetch` (`DomainOverrides.fetch`) keeps
   * sending through it: whoever replaced the fetch of every request sees the own AS's requests too.
   */
  useInProcess(endpoint: InProcessTokenEndpoint): () => void
}

export function createMtaTokenClient(deps: {
  gatewayUrl: string
  clientId: string
  keys: DomainKeys
  fetch: typeof fetch
  /** Whether `useInProcess` may take over from `fetch` (false when `fetch` was given as an override). */
  inProcess: boolean
  now: () => number
}): MtaTokenClient {
  const tokenEndpoint = `${deps.gatewayUrl.replace(/\/$/, '')}/token`
  let inProcess: typeof fetch | undefined
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
        fetch: inProcess ?? deps.fetch,
        now: deps.now,
      }),
    useInProcess(endpoint) {
      if (!deps.inProcess) return () => {}
      const local = inProcessFetch(tokenEndpoint, endpoint)
      inProcess = local
      return () => {
        if (inProcess === local) inProcess = undefined
      }
    },
  }
}

/** `exchangeToken`'s POST to `tokenEndpoint`, answered by `endpoint` as a `Response`. */
function inProcessFetch(tokenEndpoint: string, endpoint: InProcessTokenEndpoint): typeof fetch {
  return async (url, init) => {
    if (String(url) !== tokenEndpoint || init?.method !== 'POST' || typeof init.body !== 'string')
      throw new TypeError(`the in-process token endpoint answers only a form POSTed to ${tokenEndpoint}`)
    const answer = await endpoint({
      form: new URLSearchParams(init.body),
      dpop: new Headers(init.headers).get('dpop') ?? undefined,
    })
    return Response.json(answer.body, { status: answer.status, headers: answer.headers })
  }
}
