import type { Request, Response } from 'express'
import type { GatewayContext } from '../context.ts'

export const SESSION_COOKIE = 'fz_session'
export const CSRF_COOKIE = 'fz_csrf'

/** Reads one cookie from the `Cookie` header (RFC 6265 §5.4); values here are base64url, never quoted. */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) {
      const value = rest.join('=')
      return /^[A-Za-z0-9_-]{1,128}$/.test(value) ? value : undefined
    }
  }
  return undefined
}

/** Sets an HttpOnly cookie scoped to the gateway's path; Secure whenever the gateway is served over https. */
export function setCookie(
  ctx: GatewayContext,
  res: Response,
  name: string,
  value: string,
  options: { maxAgeSeconds: number; sameSite: 'strict' | 'lax' },
): void {
  const url = new URL(ctx.config.gatewayUrl)
  res.cookie(name, value, {
    httpOnly: true,
    secure: url.protocol === 'https:',
    sameSite: options.sameSite,
    path: url.pathname === '' ? '/' : url.pathname,
    maxAge: options.maxAgeSeconds * 1000,
  })
}

export function clearCookie(ctx: GatewayContext, res: Response, name: string): void {
  const url = new URL(ctx.config.gatewayUrl)
  res.clearCookie(name, { path: url.pathname === '' ? '/' : url.pathname, httpOnly: true })
}
