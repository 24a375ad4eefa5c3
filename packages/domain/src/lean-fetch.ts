import { Agent } from 'undici'
import { headersOf } from './peer-fetch.ts'

export interface LeanFetchOptions {
  /** The largest answer read (default 1 MiB: a token response is a few KiB). */
  maxAnswerBytes?: number
  /** Open connections per origin (default 16). */
  connections?: number
  /** Until the answer's headers, and the longest silence in its body (default 30 s). */
  timeoutMs?: number
}

/**
 * `fetch` for small requests to a known server — the own AS's token endpoint (small form in, small JSON
 * out), and the benchmark's client — through undici's `request`: the same request on the wire, answered
 * with a buffered `Response`. About half the client CPU of the global fetch, whose WHATWG streams cost
 * more than the exchange's own work (docs/benchmarks.md, §2). Only what those callers use: a string or
 * bytes body, `redirect: 'error'` (a 3xx throws), an optional signal.
 */
export function createLeanFetch(options: LeanFetchOptions = {}): {
  fetch: typeof fetch
  close(): Promise<void>
} {
  const maxAnswerBytes = options.maxAnswerBytes ?? 1024 * 1024
  const timeout = options.timeoutMs ?? 30_000
  const agent = new Agent({
    connections: options.connections ?? 16,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  })
  const lean = async (input: string | URL | Request, init: RequestInit = {}) => {
    const body = init.body ?? null
    if (
      input instanceof Request ||
      (body !== null && typeof body !== 'string' && !(body instanceof Uint8Array))
    )
      throw new TypeError('leanFetch sends a URL with a string or bytes body only')
    const url = new URL(String(input))
    const answer = await agent.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: (init.method ?? 'GET') as 'GET',
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      body,
      signal: init.signal ?? null,
    })
    const headers = headersOf(answer.headers)
    if (answer.statusCode >= 300 && answer.statusCode < 400 && init.redirect !== 'manual') {
      await answer.body.dump()
      throw new TypeError(`${String(input)} redirected (${answer.statusCode}); no redirect is followed`)
    }
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of answer.body as AsyncIterable<Buffer>) {
      size += chunk.byteLength
      // Thrown inside the loop: leaving it ends the body (the connection is not reused).
      if (size > maxAnswerBytes)
        throw new TypeError(`${String(input)} answered more than ${maxAnswerBytes} bytes`)
      chunks.push(chunk)
    }
    const empty = answer.statusCode === 204 || answer.statusCode === 304
    return new Response(empty ? null : Buffer.concat(chunks), { status: answer.statusCode, headers })
  }
  return { fetch: lean as typeof fetch, close: () => agent.close() }
}
