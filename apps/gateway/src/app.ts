import { createListener, type DomainConfig, requestLog } from '@federizer/node'
import express from 'express'
import { metadataHandler, metadataPath } from './as/metadata.ts'
import { createAsRouter } from './as/router.ts'
import type { GatewayOptions } from './base.ts'
import { createGatewayContext, type GatewayContext } from './context.ts'
import { createFederationRouter } from './federation/router.ts'
import { startMtaWorkers } from './mta/workers.ts'

export interface Gateway {
  app: express.Express
  ctx: GatewayContext
  /** Listens on `port` (0 = any free port) on 127.0.0.1 unless `host` is given; resolves to the bound port. */
  listen(port: number, host?: string): Promise<number>
  close(): Promise<void>
}

/** Builds one domain's gateway: the AS, the federation API and (unless disabled) the MTA workers. */
export async function createGateway(config: DomainConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const ctx = await createGatewayContext(config, options)
  const app = express()
  app.disable('x-powered-by')
  // X-Forwarded-For is believed only from the configured proxies (express's proxy-addr): `req.ip` is then
  // the client the nearest untrusted hop names, the key of every rate limit.
  app.set('trust proxy', config.trustedProxies?.length ? config.trustedProxies : false)
  app.use(requestLog(ctx.logger))
  const basePath = new URL(config.gatewayUrl).pathname.replace(/\/$/, '')
  app.get(metadataPath(config.gatewayUrl), metadataHandler(ctx))
  app.use(basePath || '/', createAsRouter(ctx))
  app.use(basePath || '/', createFederationRouter(ctx))
  const workers = options.workers === false ? undefined : await startMtaWorkers(ctx)
  const listener = createListener(app)
  let closed = false
  return {
    app,
    ctx,
    listen: listener.listen,
    async close() {
      if (closed) return
      closed = true
      await workers?.stop(options.shutdownGraceMs ?? 10_000)
      await listener.close()
      await ctx.closeOutbound()
      await ctx.db.destroy()
    },
  }
}
