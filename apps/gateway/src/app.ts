import type { Server } from 'node:http'
import { type DomainConfig, requestLog } from '@federizer/store'
import express from 'express'
import { createAsRouter } from './as/router.ts'
import { createGatewayContext, type GatewayContext, type GatewayOptions } from './context.ts'
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
  app.set('trust proxy', false)
  app.use(requestLog(ctx.logger))
  const basePath = new URL(config.gatewayUrl).pathname.replace(/\/$/, '')
  app.use(basePath || '/', createAsRouter(ctx))
  app.use(basePath || '/', createFederationRouter(ctx))
  const workers = options.workers === false ? undefined : startMtaWorkers(ctx)
  let server: Server | undefined
  let closed = false
  return {
    app,
    ctx,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server = app.listen(port, host, (err?: Error) => {
          if (err) return reject(err)
          const address = server?.address()
          resolve(typeof address === 'object' && address ? address.port : port)
        })
        // Large resources stream through this server: keep the socket buffers generous.
        server.keepAliveTimeout = 5000
      })
    },
    async close() {
      if (closed) return
      closed = true
      await workers?.stop(options.shutdownGraceMs ?? 10_000)
      if (server?.listening) {
        const done = new Promise<void>((resolve) => server?.close(() => resolve()))
        server.closeIdleConnections()
        setTimeout(() => server?.closeAllConnections(), 2000).unref()
        await done
      }
      await ctx.db.destroy()
    },
  }
}
