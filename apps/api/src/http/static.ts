import path from 'node:path'
import express from 'express'
import type { ApiContext } from '../context.ts'

/** `/config.json` for the webmail, `/healthz`, and the built webmail with SPA fallback. */
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
  routes.get('/healthz', async (_req, res) => {
    try {
      await ctx.db.selectFrom('account_state').select('account').limit(1).execute()
      res.json({ ok: true })
    } catch {
      res.status(503).json({ ok: false })
    }
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
