import { type DomainContext, useOrOpenDomainContext } from '@federizer/domain'
import { createListener, type DomainConfig, requestLog } from '@federizer/node'
import express from 'express'
import { inProcessTokenEndpoint } from './as/in-process.ts'
import { metadataHandler, metadataPath } from './as/metadata.ts'
import { createAsRouter } from './as/router.ts'
import { leanTokenRoute } from './as/token-lean.ts'
import type { GatewayOptions } from './base.ts'
import { createGatewayContext, type GatewayContext } from './context.ts'
import { leanFederationRoutes } from './federation/lean.ts'
import { createFederationRouter } from './federation/router.ts'
import { startMtaWorkers } from './mta/workers.ts'

export interface Gateway {
  app: express.Express
  ctx: GatewayContext
  /** Listens on `port` (0 = any free port) on 127.0.0.1 unless `host` is given; resolves to the bound port. */
  listen(port: number, host?: string): Promise<number>
  close(): Promise<void>
}

/**
 * Builds one domain's gateway: the AS, the federation API and (unless disabled) the MTA workers, on the
 * domain's context. Given a config, the gateway builds its own context and closes it with itself; given a
 * context (shared with the api of the same process), it leaves closing it to the caller.
 */
export async function createGateway(
  domainOrConfig: DomainContext | DomainConfig,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const { domain, owned } = await useOrOpenDomainContext(domainOrConfig, options)
  const { config } = domain
  const ctx = await createGatewayContext(domain, options).catch(async (e) => {
    await owned?.close()
    throw e
  })
  const app = express()
  app.disable('x-powered-by')
  // No ETag computed over every JSON answer (a SHA-1 of each body, ~40 µs a request): answers are
  // no-store; what may be cached (resources, web files) sets its own validator.
  app.set('etag', false)
  // X-Forwarded-For is believed only from the configured proxies (express's proxy-addr): `req.ip` is then
  // the client the nearest untrusted hop names, the key of every rate limit.
  app.set('trust proxy', config.trustedProxies?.length ? config.trustedProxies : false)
  app.use(requestLog(ctx.logger))
  const basePath = new URL(config.gatewayUrl).pathname.replace(/\/$/, '')
  app.get(metadataPath(config.gatewayUrl), metadataHandler(ctx))
  app.use(basePath || '/', createAsRouter(ctx))
  app.use(basePath || '/', createFederationRouter(ctx))
  // The MTA's (and a same-process api's) exchanges at this AS skip the HTTP round trip (as/in-process.ts).
  const stopInProcess = domain.mtaTokens.useInProcess(inProcessTokenEndpoint(ctx))
  const workers = options.workers === false ? undefined : await startMtaWorkers(ctx)
  const leanToken = leanTokenRoute(ctx, `${basePath}/token`, app.get('trust proxy fn'))
  const leanFederation = leanFederationRoutes(ctx, basePath)
  const lean = options.leanRoutes !== false
  const listener = createListener((req, res) => {
    if (!lean || (!leanToken(req, res) && !leanFederation(req, res))) app(req, res)
  })
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
      stopInProcess()
      await owned?.close()
    },
  }
}
