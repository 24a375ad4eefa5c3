import { type ErrorRequestHandler, type RequestHandler, Router } from 'express'
import type { GatewayContext } from '../context.ts'
import { createHealthRouter } from '../ops/health.ts'
import { answerFailure } from './answer.ts'
import { createDocsRouter } from './docs.ts'
import { handleFetch } from './fetch.ts'
import { deliver } from './lean.ts'
import { wellKnownFederizer } from './well-known.ts'

/**
 * The federation face of the gateway: discovery document, delivery and fetch endpoints, the OpenAPI
 * contract and reference page, health. Bodies are read raw (size-capped before parsing), so no body
 * parser is mounted here.
 */
export function createFederationRouter(ctx: GatewayContext): Router {
  const router = Router()
  router.get('/.well-known/federizer', wellKnownFederizer(ctx))
  router.post('/federizer/deliveries', ((req, res, next) => {
    deliver(ctx, req, res).catch(next)
  }) as RequestHandler)
  router.post('/federizer/fetch', ((req, res, next) => {
    handleFetch(ctx, req, res).catch(next)
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
