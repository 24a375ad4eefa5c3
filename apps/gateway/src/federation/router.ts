import { type ErrorRequestHandler, type RequestHandler, Router } from 'express'
import type { GatewayContext } from '../context.ts'
import { createHealthRouter } from '../ops/health.ts'
import { handleDelivery } from './delivery.ts'
import { createDocsRouter } from './docs.ts'
import { asFederationError, RETRY_AFTER_SECONDS } from './errors.ts'
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
      res.status(status).set('cache-control', 'no-store').json(body)
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

/** Translates failures once, at the edge: `{ error, error_description }` with the code's status; a 500 never leaks internals. */
function federationErrors(ctx: GatewayContext): ErrorRequestHandler {
  return (failure, req, res, _next) => {
    if (res.headersSent) {
      ctx.logger.warn({ err: failure, path: req.path }, 'federation response aborted')
      res.destroy()
      return
    }
    const err = asFederationError(failure)
    if (err) {
      if (err.status === 401) {
        res.set('www-authenticate', `DPoP algs="ES256 EdDSA RS256", error="${err.code}"`)
      }
      if (err.retryAfter !== undefined || err.status === 507)
        res.set('retry-after', String(err.retryAfter ?? RETRY_AFTER_SECONDS))
      if (err.status === 503) {
        res.set('retry-after', String(err.retryAfter ?? RETRY_AFTER_SECONDS))
        ctx.logger.warn(
          { reqId: res.getHeader('x-request-id'), path: req.path, cause: causeText(err) },
          err.message,
        )
      }
      res.status(err.status).set('cache-control', 'no-store').json(err.toBody())
      return
    }
    // A fault, not a refusal: logged with its cause and the request id; the peer gets a generic 500.
    ctx.logger.error(
      { err: failure, reqId: res.getHeader('x-request-id'), path: req.path },
      'federation request failed',
    )
    res.status(500).json({
      error: 'server_error',
      error_description: 'the server could not process the request; try again later',
    })
  }
}

function causeText(e: Error): string | undefined {
  const cause = (e as { cause?: unknown }).cause
  return cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : undefined
}
