import { deleteAsSession } from '@federizer/store'
import type { Request, Response } from 'express'
import type { GatewayContext } from '../context.ts'
import { clearCookie, readCookie, SESSION_COOKIE } from './cookies.ts'
import { sendPage, signedOutPage } from './login-page.ts'

/**
 * GET|POST /logout: ends the AS session (the webmail revokes its refresh token at /revoke). Redirects only
 * to the webmail's own origin (`post_logout_redirect_uri` = apiUrl or apiUrl + "/"), never elsewhere.
 * @see OpenID Connect RP-Initiated Logout 1.0 §2–§3 (the redirect rule)
 */
export function logoutEndpoint(ctx: GatewayContext) {
  const allowed = new Set([ctx.config.apiUrl, `${ctx.config.apiUrl.replace(/\/$/, '')}/`])
  return async (req: Request, res: Response) => {
    const sessionId = readCookie(req, SESSION_COOKIE)
    if (sessionId) await deleteAsSession(ctx.db, sessionId)
    clearCookie(ctx, res, SESSION_COOKIE)
    const raw =
      req.method === 'POST'
        ? (req.body as Record<string, unknown> | undefined)?.post_logout_redirect_uri
        : req.query.post_logout_redirect_uri
    const target = typeof raw === 'string' && allowed.has(raw) ? raw : undefined
    res.set('Cache-Control', 'no-store')
    if (target) return res.status(303).location(target).end()
    sendPage(
      res,
      200,
      'Signed out',
      signedOutPage(ctx.config.domain, `${ctx.config.apiUrl.replace(/\/$/, '')}/`),
    )
  }
}
