import type { IncomingMessage, ServerResponse } from 'node:http'
import { requestLog } from '@federizer/node'
import proxyaddr from 'proxy-addr'
import type { GatewayContext } from '../context.ts'
import { addressKey } from './client-address.ts'
import { OAuthError } from './errors.ts'
import { FORM_LIMIT_BYTES, FORM_PARAMETER_LIMIT, FormParams } from './form.ts'
import { answerTokenRequest, type TokenAnswer } from './token-answer.ts'

/** The form media type a server sends, with no parameter or with UTF-8 as its charset (RFC 6749 Appendix B). */
const PLAIN_FORM = /^application\/x-www-form-urlencoded\s*(;\s*charset\s*=\s*"?utf-?8"?\s*)?$/i

/**
 * `POST /token` for the requests servers make, without express: a domain's MTA and api exchange a token
 * for every message (RFC 8693), and express's app, router, body parser and `res.json` cost ~150 µs of
 * CPU each on this machine (docs/benchmarks.md), a seventh of an exchange. Taken here: no `Origin`
 * header (so no CORS), a plain UTF-8 form, a `Content-Length` within the form limit and no
 * `Content-Encoding`. Anything else (a browser's request, another media type or charset, a chunked or
 * compressed body, one too large) goes on to the express route, which answers it as it always has. Both
 * answer through `answerTokenRequest`, so the grant, its checks and its errors are one code.
 * Returns the handler, which returns false for a request it leaves to express.
 * @see RFC 6749 §3.2, §5; RFC 8693 §2; RFC 9449 §8
 */
export function leanTokenRoute(
  ctx: GatewayContext,
  path: string,
  trust: (addr: string, i: number) => boolean,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const log = requestLog(ctx.logger)
  return (req, res) => {
    if (req.method !== 'POST' || req.url !== path) return false
    const h = req.headers
    const length = Number(h['content-length'])
    if (
      h.origin !== undefined ||
      h['content-encoding'] !== undefined ||
      h['transfer-encoding'] !== undefined ||
      !PLAIN_FORM.test(h['content-type'] ?? '') ||
      !Number.isSafeInteger(length) ||
      length > FORM_LIMIT_BYTES
    )
      return false
    log(req, res, () => void serve(ctx, req, res, length, trust))
    return true
  }
}

async function serve(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  length: number,
  trust: (addr: string, i: number) => boolean,
): Promise<void> {
  let body: string
  try {
    body = await readBody(req, length)
  } catch {
    // The client went away or sent less than it announced: there is no one to answer.
    req.destroy()
    return
  }
  let answer: TokenAnswer
  try {
    answer = await answerTokenRequest(ctx, {
      form: () => parseForm(body),
      authorization: req.headers.authorization,
      dpop: req.headers.dpop,
      address: addressKey(proxyaddr(req, trust)),
    })
  } catch (e) {
    ctx.logger.error({ err: e }, 'authorization server route failed')
    answer = {
      status: 500,
      headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
      body: {
        error: 'server_error',
        error_description: 'the authorization server failed; the error was logged',
      },
    }
  }
  const json = JSON.stringify(answer.body)
  res.writeHead(answer.status, {
    ...answer.headers,
    // What the express route's CORS middleware adds to every answer: caches keep browsers' answers apart.
    Vary: 'Origin',
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
  })
  res.end(json)
}

/** The body, exactly `length` bytes (the HTTP parser stops at Content-Length). */
function readBody(req: IncomingMessage, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let received = 0
    req.on('data', (c: Buffer) => {
      chunks.push(c)
      received += c.length
    })
    req.on('end', () =>
      received === length ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error('short body')),
    )
    req.on('error', reject)
  })
}

/** The form's parameters with readForm's rules (form.ts): each at most once, an empty value absent. */
function parseForm(body: string): FormParams {
  const values = new Map<string, string>()
  const seen = new Set<string>()
  for (const [name, value] of new URLSearchParams(body)) {
    if (seen.has(name))
      throw new OAuthError('invalid_request', `the "${name}" parameter appears more than once`)
    seen.add(name)
    if (seen.size > FORM_PARAMETER_LIMIT)
      throw new OAuthError('invalid_request', `the form has more than ${FORM_PARAMETER_LIMIT} parameters`, {
        status: 413,
      })
    if (value !== '') values.set(name, value)
  }
  return new FormParams(values)
}
