import type { IncomingMessage } from 'node:http'
import { type DomainContext, useOrOpenDomainContext } from '@federizer/domain'
import { createListener, type DomainConfig, requestLog } from '@federizer/node'
import { DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailableError } from '@federizer/store'
import type { TRPCError } from '@trpc/server'
import { createExpressMiddleware } from '@trpc/server/adapters/express'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import express from 'express'
import { type ApiContext, type ApiOptions, createApiContext } from './context.ts'
import { createResourceRoutes } from './http/resources.ts'
import { createStaticRoutes } from './http/static.ts'
import { startMaintenance } from './maintenance.ts'
import { appRouter } from './router.ts'

export interface Api {
  app: express.Express
  ctx: ApiContext
  /** Listens on `port` (0 = any free port) on 127.0.0.1 unless `host` is given; resolves to the bound port. */
  listen(port: number, host?: string): Promise<number>
  close(): Promise<void>
}

/**
 * Builds one domain's mailbox api: tRPC at /trpc, byte streams at /resources, the webmail at /, on the
 * domain's context. Given a config, the api builds its own context and closes it with itself; given a
 * context (shared with the gateway of the same process), it leaves closing it to the caller.
 */
export async function createApi(
  domainOrConfig: DomainContext | DomainConfig,
  options: ApiOptions = {},
): Promise<Api> {
  const { domain, owned } = await useOrOpenDomainContext(domainOrConfig, options)
  const { config } = domain
  const ctx = await createApiContext(domain, options).catch(async (e) => {
    await owned?.close()
    throw e
  })
  const app = express()
  app.disable('x-powered-by')
  // No ETag computed over every JSON answer (a SHA-1 of each body, ~40 µs a request): answers are
  // no-store; what may be cached (resources, web files) sets its own validator.
  app.set('etag', false)
  app.set('trust proxy', false)
  const basePath = new URL(config.apiUrl).pathname.replace(/\/$/, '')
  const mount = basePath || '/'
  const log = requestLog(ctx.logger)
  app.use(log)
  const trpc = {
    router: appRouter,
    createContext: ({ req }: { req: IncomingMessage }) => ({
      api: ctx,
      authorization: req.headers.authorization,
    }),
    maxBodySize: 8 * 1024 * 1024,
    // Lets clients send big batched queries (message.get with many ids) as POST (httpBatchLink methodOverride).
    allowMethodOverride: true,
    // A 503 (the database is down for a moment, or the keys not there yet) says when to try again.
    responseMeta: ({ errors }: { errors: TRPCError[] }) =>
      errors.some((e) => e.code === 'SERVICE_UNAVAILABLE')
        ? { headers: new Headers({ 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) }) }
        : {},
  }
  app.use(`${basePath}/trpc`, createExpressMiddleware(trpc))
  // Every procedure call skips express (its app, router and request/response prototypes): the same tRPC
  // handler and request log, reached from the listener (docs/benchmarks.md, the fourth session's levers).
  const trpcPrefix = `${basePath}/trpc/`
  const leanTrpc = createHTTPHandler({ ...trpc, basePath: trpcPrefix })
  const lean = options.leanRoutes !== false
  app.use(mount, createResourceRoutes(ctx))
  app.use(mount, createStaticRoutes(ctx))
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (err instanceof DatabaseUnavailableError) {
      if (res.headersSent) return res.destroy()
      res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS))
      return res.status(503).json({ error: 'temporarily_unavailable', message: err.message })
    }
    ctx.logger.error({ err }, 'request failed')
    if (res.headersSent) return res.destroy()
    const status = (err as { status?: number }).status
    if (status === 413)
      return res.status(413).json({ error: 'too_large', message: 'the request body is too large' })
    if (status === 400)
      return res.status(400).json({ error: 'bad_request', message: 'the request body is not valid JSON' })
    res.status(500).json({ error: 'internal', message: 'internal error' })
  })
  const interval = options.maintenanceIntervalSeconds ?? 3600
  const maintenance = interval === false ? undefined : startMaintenance(ctx, interval)
  const listener = createListener((req, res) => {
    if (lean && req.url?.startsWith(trpcPrefix)) log(req, res, () => leanTrpc(req, res))
    else app(req, res)
  })
  return {
    app,
    ctx,
    listen: listener.listen,
    async close() {
      await maintenance?.stop()
      await listener.close()
      await owned?.close()
    },
  }
}
