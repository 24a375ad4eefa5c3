import {
  accountHasResource,
  DatabaseUnavailableError,
  findUpload,
  findUser,
  formatBytes,
  isContentId,
  quotaOf,
  ResourceAbortedError,
  ResourceTooLargeError,
  recordUpload,
} from '@federizer/store'
import express, { type Request, type Response } from 'express'
import { AuthError, authenticate } from '../auth.ts'
import type { ApiContext } from '../context.ts'
import { parseRange } from './range.ts'
import { verifyTicket } from './tickets.ts'

/** The one JSON error shape of the byte-stream routes. */
function problem(res: Response, status: number, error: string, message: string): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"')
  res.status(status).json({ error, message })
}

function authProblem(res: Response, e: AuthError): void {
  if (e.code === 'insufficient_scope') problem(res, 403, 'insufficient_scope', e.message)
  else problem(res, 401, 'unauthorized', e.message)
}

const MEDIA_TYPE = /^[A-Za-z0-9][\w!#$&^.+-]{0,126}\/[A-Za-z0-9][\w!#$&^.+-]{0,126}(\s*;[^\r\n]{0,200})?$/

function cleanFilename(raw: string | undefined): string | undefined {
  if (!raw) return undefined
  let name: string
  try {
    name = decodeURIComponent(raw)
  } catch {
    name = raw
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are stripped from file names
  name = name.replace(/[\u0000-\u001f\u007f/\\]+/g, '_').trim()
  return name ? name.slice(0, 255) : undefined
}

const contentDisposition = (filename: string | undefined) =>
  filename ? `attachment; filename*=UTF-8''${encodeURIComponent(filename)}` : 'attachment'

/** `POST /resources` (streamed upload) and `GET /resources/:contentId` (download with Range). */
export function createResourceRoutes(ctx: ApiContext): express.Router {
  const routes = express.Router()

  routes.post('/resources', async (req: Request, res: Response) => {
    let account: string
    try {
      account = (await authenticate(ctx, req.headers.authorization)).account
    } catch (e) {
      if (e instanceof AuthError) return authProblem(res, e)
      throw e
    }
    const max = ctx.config.limits.maxResourceBytes
    const declared = req.headers['content-length']
    if (declared !== undefined && Number(declared) > max) {
      res.setHeader('Connection', 'close')
      return problem(
        res,
        413,
        'too_large',
        `the file is ${formatBytes(Number(declared))}; files up to ${formatBytes(max)} can be attached`,
      )
    }
    // The storage quota: a file that does not fit in what is left is refused before it is stored.
    const quota = await quotaOf(ctx.db, account, ctx.config.limits.userQuotaBytes)
    const room = Math.max(0, quota.quotaBytes - quota.usedBytes)
    const fullText = () =>
      `your mailbox is full: ${formatBytes(quota.usedBytes)} of ${formatBytes(quota.quotaBytes)} used; delete mail (and empty the Trash) to make room`
    if (declared !== undefined && Number(declared) > room) {
      res.setHeader('Connection', 'close')
      return problem(res, 413, 'quota_exceeded', fullText())
    }
    const mediaType = (req.headers['content-type'] ?? 'application/octet-stream').trim()
    if (!MEDIA_TYPE.test(mediaType))
      return problem(res, 400, 'bad_request', `"${mediaType}" is not a media type`)
    const filename = cleanFilename(req.header('x-filename'))
    try {
      const { contentId, size } = await ctx.resources.write(req, { maxBytes: Math.min(max, room) })
      await recordUpload(ctx.db, { account, contentId, size, mediaType, filename, now: ctx.now() })
      res.status(201).json({ contentId, size, mediaType, ...(filename ? { filename } : {}) })
    } catch (e) {
      if (e instanceof ResourceTooLargeError) {
        res.setHeader('Connection', 'close')
        if (room < max) return problem(res, 413, 'quota_exceeded', fullText())
        return problem(res, 413, 'too_large', e.message)
      }
      if (e instanceof ResourceAbortedError) {
        ctx.logger.info({ account }, 'upload aborted by the client; nothing kept')
        return problem(res, 400, 'aborted', e.message)
      }
      // The database went away between the file and its row: the file is an unreferenced blob (gc).
      if (e instanceof DatabaseUnavailableError) throw e
      ctx.logger.error({ err: e }, 'upload failed')
      return problem(res, 500, 'internal', 'the upload failed on the server')
    }
  })

  routes.get('/resources/:contentId', async (req: Request, res: Response) => {
    const contentId = String(req.params.contentId)
    const ticketParam = typeof req.query.ticket === 'string' ? req.query.ticket : undefined
    let account: string
    let filename: string | undefined
    let mediaType: string | undefined
    let inlinePdf = false
    if (ticketParam !== undefined) {
      const t = verifyTicket(ctx.ticketSecret, ticketParam, contentId, ctx.now())
      if (!t)
        return problem(
          res,
          401,
          'unauthorized',
          'the download link is invalid or has expired: ask for a new one',
        )
      // A ticket outlives nothing: an account deleted or disabled since it was issued reads nothing.
      const owner = await findUser(ctx.db, t.a)
      if (!owner || owner.disabled)
        return problem(
          res,
          401,
          'unauthorized',
          'the account of this download link no longer exists or is disabled',
        )
      account = t.a
      filename = t.f
      mediaType = t.t
      inlinePdf = t.i === 1 && t.t === 'application/pdf'
    } else {
      try {
        account = (await authenticate(ctx, req.headers.authorization)).account
      } catch (e) {
        if (e instanceof AuthError) return authProblem(res, e)
        throw e
      }
    }
    // 404 for "not yours" and "no such resource" alike: no existence oracle.
    const notFound = () => problem(res, 404, 'not_found', `resource ${contentId} is not in your mailbox`)
    if (!isContentId(contentId) || !(await accountHasResource(ctx.db, account, contentId))) return notFound()
    const stat = await ctx.resources.stat(contentId)
    if (!stat) return problem(res, 404, 'not_found', `resource ${contentId} has not arrived yet`)
    if (!mediaType) mediaType = (await findUpload(ctx.db, account, contentId))?.media_type
    const etag = `"${contentId}"`
    res.setHeader('ETag', etag)
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable')
    res.setHeader('Accept-Ranges', 'bytes')
    res.setHeader('X-Content-Type-Options', 'nosniff')
    // Bytes are never rendered as a document of the webmail's origin. A PDF opened in the browser's own
    // viewer cannot be sandboxed (Chromium's viewer refuses sandboxed documents); it still loads nothing
    // and cannot be framed.
    res.setHeader(
      'Content-Security-Policy',
      inlinePdf ? "default-src 'none'; frame-ancestors 'none'" : "sandbox; default-src 'none'",
    )
    res.setHeader(
      'Content-Disposition',
      inlinePdf
        ? contentDisposition(filename).replace(/^attachment/, 'inline')
        : contentDisposition(filename),
    )
    res.setHeader(
      'Content-Type',
      mediaType && MEDIA_TYPE.test(mediaType) ? mediaType : 'application/octet-stream',
    )
    if (req.headers['if-none-match']?.split(/\s*,\s*/).includes(etag)) {
      res.status(304).end()
      return
    }
    const range = parseRange(req.headers.range, stat.size)
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${stat.size}`)
      return problem(res, 416, 'range_not_satisfiable', `the resource has ${stat.size} bytes`)
    }
    if (range) {
      res.status(206)
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${stat.size}`)
      res.setHeader('Content-Length', String(range.end - range.start + 1))
    } else {
      res.status(200)
      res.setHeader('Content-Length', String(stat.size))
    }
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    try {
      await ctx.resources.sendTo(contentId, res, range)
      res.end()
    } catch (e) {
      if (!res.destroyed) res.destroy()
      ctx.logger.debug({ err: e }, 'download interrupted')
    }
  })

  return routes
}
