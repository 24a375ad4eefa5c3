import { type FederizerDocument, PUSH_MAX_BYTES, type ReplayStore } from '@federizer/protocol'
import type { DomainKeys, QueueTable, ResourceStore } from '@federizer/store'
import type { GatewayBase } from '../base.ts'
import { FETCH_PER_DESTINATION, OUTBOX_INITIAL_WINDOW, OUTBOX_PER_DESTINATION } from '../mta/limits.ts'
import { ConcurrencyWindows } from '../mta/window.ts'

/** The federation + MTA part of the gateway context. */
export interface FederationContext {
  /** This node's own federation URLs (all derived from `config.gatewayUrl`). */
  urls: {
    resourceUrl: string
    deliveryEndpoint: string
    fetchEndpoint: string
    tokenEndpoint: string
  }
  /** The `/.well-known/federizer` document this node publishes. */
  document: FederizerDocument
  resources: ResourceStore
  keys: DomainKeys
  replay: ReplayStore
  /** The fetch used for every outgoing request. */
  fetch: typeof fetch
  /** Pushed resources accepted per delivery, and pushed to peers that take them; 0: off. */
  pushMaxBytes: number
  /** Milliseconds between queue polls when idle, when given (tests); else the MTA chooses (mta/workers.ts). */
  pollIntervalMs: number | undefined
  /**
   * Wakes the MTA workers at once (new rows were queued by this process): the runners of `queues`, or
   * every runner when they are not named.
   */
  wake(queues?: readonly QueueTable[]): void
  /** Subscribed to by the workers; called by `wake`. */
  onWake: Set<(queues?: readonly QueueTable[]) => void>
  /**
   * How many deliveries to a peer domain (`outbox`) and fetches from an origin (`fetch`) this process
   * may have in flight at once, moved by each peer's answers (mta/window.ts).
   */
  windows: { outbox: ConcurrencyWindows; fetch: ConcurrencyWindows }
}

/** Builds the federation context from the gateway's base part (resources, keys, replay: the domain's). */
export function createFederationContext(base: GatewayBase): FederationContext {
  const { config } = base
  const resourceUrl = config.gatewayUrl.replace(/\/$/, '')
  const urls = {
    resourceUrl,
    deliveryEndpoint: `${resourceUrl}/federizer/deliveries`,
    fetchEndpoint: `${resourceUrl}/federizer/fetch`,
    tokenEndpoint: `${resourceUrl}/token`,
  }
  const pushMaxBytes = base.options.pushMaxBytes ?? PUSH_MAX_BYTES
  const document: FederizerDocument = {
    domain: config.domain,
    resource_url: resourceUrl,
    issuer: resourceUrl,
    mta_client_id: config.mtaClientId,
    delivery_endpoint: urls.deliveryEndpoint,
    fetch_endpoint: urls.fetchEndpoint,
    ...(pushMaxBytes > 0 ? { push_max_bytes: pushMaxBytes } : {}),
  }
  const onWake = new Set<(queues?: readonly QueueTable[]) => void>()
  return {
    urls,
    document,
    resources: base.domain.resources,
    keys: base.domain.keys,
    replay: base.domain.replay,
    fetch: base.fetch,
    pushMaxBytes,
    pollIntervalMs: base.options.pollIntervalMs,
    onWake,
    windows: {
      outbox: new ConcurrencyWindows(OUTBOX_INITIAL_WINDOW, OUTBOX_PER_DESTINATION),
      // Never more than 4 from one origin (each a whole resource); fewer while it does not answer.
      fetch: new ConcurrencyWindows(FETCH_PER_DESTINATION, FETCH_PER_DESTINATION),
    },
    wake(queues) {
      for (const fn of onWake) fn(queues)
    },
  }
}
