import path from 'node:path'
import express from 'express'
import type { ApiContext } from '../context.ts'

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
    await ctx.db
      .selectFrom('account_state')
      .select('account')
      .limit(1)
      .execute()
      .catch(() => {
        checks.database = 'fail'
      })
    if (!(await ctx.resources.writable())) checks.resources = 'fail'
    const ready = checks.database === 'ok' && checks.resources === 'ok'
    res.setHeader('Cache-Control', 'no-store')
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks })
  })
  const dist = ctx.webDist
  if (dist) {
    routes.use(express.static(dist, { index: 'index.html', maxAge: '1h' }))
    // Client-side routes (e.g. /callback, /mailbox/…) get the app shell.
    routes.get('/{*splat}', (req, res, next) => {
      if (req.path.startsWith('/trpc') || req.path.startsWith('/resources')) return next()
      res.setHeader('Cache-Control', 'no-cache')
      res.sendFile(path.join(dist, 'index.html'))
    })
  }
  return routes
}
