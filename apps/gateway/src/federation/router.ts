import { type ErrorRequestHandler, type RequestHandler, Router } from 'express'
import type { GatewayContext } from '../context.ts'
import { createHealthRouter } from '../ops/health.ts'
import { answerFailure, sendJson } from './answer.ts'
import { handleDelivery } from './delivery.ts'
import { createDocsRouter } from './docs.ts'
import { handleFetch } from './fetch.ts'
import { wellKnownFederizer } from './well-known.ts'

/**
 * The federation face of the gateway: discovery document, delivery and fetch endpoints, the OpenAPI
 * contract and reference page, health. Bodies are read raw (size-capped before parsing), so no body
 * parser is mounted here.
 */
export function createFederationRouter(ctx: GatewayContext): Router {
  const router = Router()
  router.get('/.well-known/federizer', wellKnownFederizer(ctx))
  router.post('/federizer/deliveries', (async (req, res, next) => {
    try {
      const { status, body } = await handleDelivery(ctx, req)
      sendJson(res, status, body, { 'cache-control': 'no-store' })
    } catch (e) {
      next(e)
    }
  }) as RequestHandler)
  router.post('/federizer/fetch', (async (req, res, next) => {
    try {
      await handleFetch(ctx, req, res)
    } catch (e) {
      next(e)
    }
  }) as RequestHandler)
  router.use(createDocsRouter())
  router.use(createHealthRouter(ctx))
  router.use(federationErrors(ctx))
  return router
}

/** Translates failures once, at the edge (the express routes' error handler; see `answerFailure`). */
function federationErrors(ctx: GatewayContext): ErrorRequestHandler {
  return (failure, req, res, _next) => answerFailure(ctx, failure, req.path, res)
}
