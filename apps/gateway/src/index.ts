export { createGateway, type Gateway } from './app.ts'
export type { GatewayContext, GatewayOptions } from './context.ts'
