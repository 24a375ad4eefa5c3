export { createGateway, type Gateway } from './app.ts'
export { createDomainDiscovery, type GatewayContext, type GatewayOptions } from './context.ts'
export { FederationError, type FederationErrorCode } from './federation/errors.ts'
export { type MtaWorkers, startMtaWorkers } from './mta/workers.ts'
