import type { NextFunction, Request, Response } from 'express'
import type { GatewayContext } from '../context.ts'

/**
 * CORS for the endpoints the webmail calls from the browser (/token, /revoke): only the api origin (where
 * the webmail is served) is allowed; no credentials (the webmail sends none). Other origins get no CORS
 * headers, so browsers refuse to expose the response.
 * @see Fetch Standard §3.2 (CORS protocol)
 */
export function corsForWebmail(ctx: GatewayContext) {
  const allowed = new URL(ctx.config.apiUrl).origin
  return (req: Request, res: Response, next: NextFunction) => {
    res.vary('Origin')
    const origin = req.headers.origin
    if (origin === allowed) {
      res.set('Access-Control-Allow-Origin', origin)
      res.set('Access-Control-Expose-Headers', 'DPoP-Nonce, WWW-Authenticate, Retry-After')
    }
    if (req.method === 'OPTIONS') {
      if (origin === allowed) {
        res.set('Access-Control-Allow-Methods', 'POST')
        res.set('Access-Control-Allow-Headers', 'Content-Type, DPoP')
        res.set('Access-Control-Max-Age', '600')
      }
      res.status(204).end()
      return
    }
    next()
  }
}
