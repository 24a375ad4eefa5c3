import path from 'node:path'
import { databaseAnswers } from '@federizer/store'
import express from 'express'
import type { ApiContext } from '../context.ts'
import { cacheControlFor, compressedFiles, securityHeaders, webmailCsp } from './web-files.ts'

/** `/config.json` for the webmail, `/healthz` and `/readyz`, and the built webmail with SPA fallback. */
export function createStaticRoutes(ctx: ApiContext): express.Router {
  const routes = express.Router()
  const { config } = ctx
  routes.get('/config.json', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache')
    res.json({
      issuer: config.gatewayUrl,
      clientId: config.webClientId,
      apiUrl: config.apiUrl,
      domain: config.domain,
    })
  })
  // Liveness (the process answers) and readiness (the database and the resource folder answer).
  routes.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    res.json({ status: 'ok', domain: config.domain })
  })
  routes.get('/readyz', async (_req, res) => {
    const checks: Record<string, 'ok' | 'fail'> = { database: 'ok', resources: 'ok' }
    if (!(await databaseAnswers(ctx.db))) checks.database = 'fail'
    if (!(await ctx.resources.writable())) checks.resources = 'fail'
    const ready = checks.database === 'ok' && checks.resources === 'ok'
    res.setHeader('Cache-Control', 'no-store')
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks })
  })
  const dist = ctx.webDist
  if (dist) {
    const compressed = compressedFiles(dist)
    routes.use(securityHeaders(webmailCsp(config)))
    routes.use(compressed)
    routes.use(
      express.static(dist, {
        index: 'index.html',
        cacheControl: false,
        setHeaders: (res, file) => {
          res.setHeader(
            'Cache-Control',
            cacheControlFor(`/${path.relative(dist, file).split(path.sep).join('/')}`),
          )
        },
      }),
    )
    // Client-side routes (e.g. /callback, /mailbox/…) get the app shell; a missing hashed asset is a 404.
    routes.get('/{*splat}', (req, res, next) => {
      if (req.path.startsWith('/trpc') || req.path.startsWith('/resources')) return next()
      if (req.path.startsWith('/assets/')) return res.status(404).type('text').send('not found')
      req.url = '/index.html'
      compressed(req, res, () => {
        res.setHeader('Cache-Control', 'no-cache')
        res.sendFile(path.join(dist, 'index.html'))
      })
    })
  }
  return routes
}
