import { deleteAsSession } from '@federizer/store'
import type { Request, Response } from 'express'
import type { GatewayContext } from '../context.ts'
import { clearCookie, readCookie, SESSION_COOKIE } from './cookies.ts'
import { escapeHtml, sendPage, signedOutPage } from './login-page.ts'

/**
 * /logout: POST ends the AS session (the webmail revokes its refresh token at /revoke); GET changes
 * nothing and shows a sign-out button (a link or a foreign page cannot sign anyone out). A POST whose
 * `Origin` is neither this AS nor the webmail is refused (CSRF, OWASP "verifying origin with standard
 * headers"). Redirects only to the webmail's own origin (`post_logout_redirect_uri` = apiUrl or
 * apiUrl + "/"), never elsewhere.
 * @see OpenID Connect RP-Initiated Logout 1.0 §2–§3 (the redirect rule)
 */
export function logoutEndpoint(ctx: GatewayContext) {
  const allowed = new Set([ctx.config.apiUrl, `${ctx.config.apiUrl.replace(/\/$/, '')}/`])
  const trustedOrigins = new Set([new URL(ctx.config.gatewayUrl).origin, new URL(ctx.config.apiUrl).origin])
  const back = `${ctx.config.apiUrl.replace(/\/$/, '')}/`
  return async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store')
    const raw =
      req.method === 'POST'
        ? (req.body as Record<string, unknown> | undefined)?.post_logout_redirect_uri
        : req.query.post_logout_redirect_uri
    const target = typeof raw === 'string' && allowed.has(raw) ? raw : undefined
    if (req.method !== 'POST') {
      const hidden = target
        ? `<input type="hidden" name="post_logout_redirect_uri" value="${escapeHtml(target)}">`
        : ''
      return sendPage(
        res,
        200,
        'Sign out',
        `<h1>Sign out</h1>
<p class="lead">Sign out of your ${escapeHtml(ctx.config.domain)} mailbox on this browser?</p>
<form method="post" action="${escapeHtml(`${ctx.config.gatewayUrl.replace(/\/$/, '')}/logout`)}">${hidden}<button type="submit">Sign out</button></form>`,
      )
    }
    const origin = req.headers.origin
    if (origin !== undefined && !trustedOrigins.has(origin)) {
      return sendPage(
        res,
        403,
        'Not signed out',
        `<h1>Not signed out</h1>
<p class="lead">This sign-out request came from another site, so nothing was changed. To sign out, use Sign out in your ${escapeHtml(ctx.config.domain)} webmail.</p>`,
      )
    }
    const sessionId = readCookie(req, SESSION_COOKIE)
    if (sessionId) await deleteAsSession(ctx.db, sessionId)
    clearCookie(ctx, res, SESSION_COOKIE)
    if (target) return res.status(303).location(target).end()
    sendPage(res, 200, 'Signed out', signedOutPage(ctx.config.domain, back))
  }
}
