import { databaseAnswers } from '@federizer/store'
import { Router } from 'express'
import type { GatewayContext } from '../context.ts'

/**
 * `/healthz` (the process is up) and `/readyz` (the database answers and the resource folder is
 * reachable: the node can accept a delivery now). Neither reveals configuration.
 */
export function createHealthRouter(ctx: GatewayContext): Router {
  const router = Router()
  router.get('/healthz', (_req, res) => {
    res.set('cache-control', 'no-store').json({ status: 'ok', domain: ctx.config.domain })
  })
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, 'ok' | 'fail'> = {}
    checks.database = (await databaseAnswers(ctx.db)) ? 'ok' : 'fail'
    checks.resources = (await ctx.federation.resources.writable()) ? 'ok' : 'fail'
    const ready = Object.values(checks).every((v) => v === 'ok')
    res
      .status(ready ? 200 : 503)
      .set('cache-control', 'no-store')
      .json({ status: ready ? 'ready' : 'not_ready', checks })
  })
  return router
}
