import {
  dpopKeyThumbprint,
  type ExchangeTokenInput,
  type ExchangeTokenResult,
  exchangeToken,
  tokenAnswer,
  tokenExchangeForm,
} from '@federizer/protocol'
import type { DomainKeys } from '@federizer/store'

/** What a caller of the MTA's token exchange chooses; the client, its key and the endpoint are the domain's. */
export type MtaExchange = Omit<
  ExchangeTokenInput,
  'tokenEndpoint' | 'issuer' | 'clientId' | 'clientKey' | 'fetch' | 'now'
>

/**
 * The own AS's token endpoint called in this process: the exchange's form without client authentication,
 * and the thumbprint of the ephemeral key instead of a DPoP proof (neither proves anything inside the
 * process that holds both keys); the answer as it would be sent. The gateway provides it
 * (apps/gateway/src/as/in-process.ts).
 */
export type InProcessTokenEndpoint = (request: {
  form: URLSearchParams
  /** RFC 7638 thumbprint of the ephemeral public key: the issued token's `cnf.jkt`. */
  jkt: string
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
   * same form and the same checks of it, without the HTTP round trip, the client assertion and the proof.
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
  let inProcess: InProcessTokenEndpoint | undefined
  return {
    tokenEndpoint,
    exchange: (input) =>
      inProcess
        ? exchangeInProcess(inProcess, input)
        : exchangeToken({
            ...input,
            tokenEndpoint,
            // The own AS's issuer is the gateway URL: the client assertion's only accepted aud (RFC 7523 §3).
            issuer: deps.gatewayUrl,
            clientId: deps.clientId,
            clientKey: deps.keys.mtaClientKey,
            fetch: deps.fetch,
            now: deps.now,
          }),
    useInProcess(endpoint) {
      if (!deps.inProcess) return () => {}
      inProcess = endpoint
      return () => {
        if (inProcess === endpoint) inProcess = undefined
      }
    },
  }
}

/** One token exchange answered by the AS of this process (RFC 8693 §2.1 form, §2.2 answer). */
async function exchangeInProcess(
  endpoint: InProcessTokenEndpoint,
  input: MtaExchange,
): Promise<ExchangeTokenResult> {
  const form = tokenExchangeForm(input)
  const answer = await endpoint({ form, jkt: dpopKeyThumbprint(input.dpopKey) })
  const result = tokenAnswer(answer.status, answer.body, undefined)
  if (result instanceof Error) throw result
  return result
}
