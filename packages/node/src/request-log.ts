import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'

const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/

/**
 * Express middleware shared by the gateway and the api. Gives every request an id (a caller's `X-Request-Id` when it is a plain token, else a new UUID), echoes
 * it in the response and logs one line per request when it ends: method, path (no query: it may carry a
 * ticket), status, duration. Never headers or bodies, so no token reaches the log.
 */
export function requestLog(logger: Logger) {
  return (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: () => void): void => {
    const incoming = req.headers['x-request-id']
    const id = typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID()
    res.setHeader('x-request-id', id)
    const started = process.hrtime.bigint()
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      const line = {
        reqId: id,
        method: req.method,
        path: (req.originalUrl ?? req.url ?? '').split('?')[0],
        status: res.statusCode,
        ms: Math.round(ms * 10) / 10,
      }
      if (res.statusCode >= 500) logger.error(line, 'request failed')
      else logger.debug(line, 'request')
    })
    next()
  }
}
