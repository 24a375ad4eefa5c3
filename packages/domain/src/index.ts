export {
  createDomainContext,
  type DomainContext,
  type DomainOverrides,
  useOrOpenDomainContext,
} from './context.ts'
export { cachingKeyResolver } from './key-resolver.ts'
export { createLeanFetch, type LeanFetchOptions } from './lean-fetch.ts'
export type { InProcessTokenEndpoint, MtaExchange, MtaTokenClient } from './mta-tokens.ts'
export { createPeerFetch, type PeerStream, type PeerStreamResponse } from './peer-fetch.ts'
