import type { ServerResponse } from 'node:http'
import type { GatewayContext } from '../context.ts'
import { asFederationError, RETRY_AFTER_SECONDS } from './errors.ts'

/**
 * Answers a failed federation request: `{ error, error_description }` with the code's status (and the
 * `WWW-Authenticate` / `Retry-After` it calls for); a 500 never leaks internals, its cause is logged with
 * the request id. A response already under way is cut off. Shared by the express routes and the lean
 * ones (lean.ts), so both answer every failure alike.
 */
export function answerFailure(
  ctx: GatewayContext,
  failure: unknown,
  path: string,
  res: ServerResponse,
): void {
  if (res.headersSent) {
    ctx.logger.warn({ err: failure, path }, 'federation response aborted')
    res.destroy()
    return
  }
  const err = asFederationError(failure)
  if (err) {
    if (err.status === 401) {
      res.setHeader('www-authenticate', `DPoP algs="ES256 EdDSA RS256", error="${err.code}"`)
    }
    if (err.retryAfter !== undefined || err.status === 507 || err.status === 503)
      res.setHeader('retry-after', String(err.retryAfter ?? RETRY_AFTER_SECONDS))
    if (err.status === 503)
      ctx.logger.warn({ reqId: res.getHeader('x-request-id'), path, cause: causeText(err) }, err.message)
    sendJson(res, err.status, err.toBody(), { 'cache-control': 'no-store' })
    return
  }
  // A fault, not a refusal: logged with its cause and the request id; the peer gets a generic 500.
  ctx.logger.error({ err: failure, reqId: res.getHeader('x-request-id'), path }, 'federation request failed')
  sendJson(res, 500, {
    error: 'server_error',
    error_description: 'the server could not process the request; try again later',
  })
}

/** A JSON answer as express's `res.json` writes it (UTF-8 content type, a Content-Length). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const json = JSON.stringify(body)
  res.statusCode = status
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('content-length', Buffer.byteLength(json))
  res.end(json)
}

function causeText(e: Error): string | undefined {
  const cause = (e as { cause?: unknown }).cause
  return cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : undefined
}
