import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { brotliCompress, gzip, constants as zlib } from 'node:zlib'
import type { DomainConfig } from '@federizer/node'
import type express from 'express'

// The built webmail: its own CSP (no inline script, never framed), hashed assets cached for a year,
// everything else revalidated, text files sent brotli/gzip compressed (compressed once, kept in memory).

const brotli = promisify(brotliCompress)
const gz = promisify(gzip)

/** Vite's content-hashed output: a new build gets new names, so these never change. */
const HASHED = /^\/assets\//
const IMMUTABLE = 'public, max-age=31536000, immutable'
const COMPRESSIBLE = new Set([
  '.js',
  '.mjs',
  '.css',
  '.html',
  '.svg',
  '.json',
  '.webmanifest',
  '.txt',
  '.map',
])

/**
 * The page's Content-Security-Policy. Scripts only from the app's origin (no inline script, no eval);
 * `frame-ancestors 'none'` against clickjacking. Styles may be inline (styled-components injects
 * `<style>`; mail HTML in the reading frame carries its own). The reading frame is a srcdoc iframe,
 * which inherits this policy, so remote images (loaded only after the reader asks) need `https:`/`http:`
 * here; the frame's own stricter policy still applies. @see CSP Level 3 §6.4.2 (frame-ancestors)
 */
export function webmailCsp(config: Pick<DomainConfig, 'gatewayUrl' | 'apiUrl'>): string {
  const issuer = new URL(config.gatewayUrl).origin
  const api = new URL(config.apiUrl).origin
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob: https: http:",
    "font-src 'self' data:",
    `connect-src 'self' ${api} ${issuer}`,
    "frame-src 'self' blob:",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    `form-action 'self' ${issuer}`,
    "frame-ancestors 'none'",
  ].join('; ')
}

/** Headers every webmail file (and the SPA shell) carries. */
export function securityHeaders(csp: string): express.RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', csp)
    res.setHeader('X-Frame-Options', 'DENY')
    res.setHeader('X-Content-Type-Options', 'nosniff')
    // strict-origin, not no-referrer: under no-referrer the browser sends `Origin: null` with the
    // sign-out form POST, and the AS's CSRF check (it wants the webmail's origin) refuses it. Only the
    // origin is ever sent, never a path (mail content opens in no-referrer frames and noreferrer links).
    res.setHeader('Referrer-Policy', 'strict-origin')
    next()
  }
}

/** Cache-Control for a path under the dist folder. */
export function cacheControlFor(urlPath: string): string {
  return HASHED.test(urlPath) ? IMMUTABLE : 'no-cache'
}

type Encoding = 'br' | 'gzip'

/**
 * Serves compressible files of `dist` compressed when the client accepts it (RFC 9110 §8.4, §12.5.3);
 * the compressed bytes are cached per file version (path + mtime + size). Other requests fall through.
 */
export function compressedFiles(dist: string): express.RequestHandler {
  const root = path.resolve(dist)
  const cache = new Map<string, Promise<Buffer>>()
  return async (req, res, next) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next()
      const urlPath = req.path === '/' ? '/index.html' : safeDecode(req.path)
      if (urlPath === undefined) return next()
      const ext = path.extname(urlPath).toLowerCase()
      if (!COMPRESSIBLE.has(ext)) return next()
      const file = path.resolve(root, `.${urlPath}`)
      if (!file.startsWith(root + path.sep)) return next()
      const info = await stat(file).catch(() => undefined)
      if (!info?.isFile()) return next()
      res.setHeader('Vary', 'Accept-Encoding')
      const accepted = req.acceptsEncodings('br', 'gzip')
      if (accepted !== 'br' && accepted !== 'gzip') return next()
      const encoding: Encoding = accepted
      const etag = `"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}-${encoding}"`
      res.setHeader('ETag', etag)
      res.setHeader('Cache-Control', cacheControlFor(urlPath))
      res.type(ext)
      if (req.headers['if-none-match'] === etag) return res.status(304).end()
      const key = `${file}:${info.mtimeMs}:${info.size}:${encoding}`
      let body = cache.get(key)
      if (!body) {
        body = readFile(file).then((bytes) =>
          encoding === 'br'
            ? brotli(bytes, {
                params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length },
              })
            : gz(bytes, { level: 9 }),
        )
        cache.set(key, body)
        body.catch(() => cache.delete(key))
      }
      const bytes = await body
      res.setHeader('Content-Encoding', encoding)
      res.setHeader('Content-Length', bytes.length)
      if (req.method === 'HEAD') return res.end()
      res.end(bytes)
    } catch (err) {
      next(err)
    }
  }
}

function safeDecode(p: string): string | undefined {
  try {
    return decodeURIComponent(p)
  } catch {
    return undefined
  }
}
