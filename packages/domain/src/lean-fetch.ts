import { Agent } from 'undici'
import { headersOf } from './peer-fetch.ts'

/** The largest answer `leanFetch` reads (a token response is a few KiB). */
const MAX_ANSWER_BYTES = 1024 * 1024

/**
 * `fetch` for the own AS's token endpoint (small form in, small JSON out) through undici's `request`:
 * the same request on the wire, answered with a buffered `Response`. About half the client CPU of the
 * global fetch, whose WHATWG streams cost more than the exchange's own work (docs/benchmarks.md, §2).
 * Only what `exchangeToken` uses: a string body, `redirect: 'error'` (a 3xx throws), an optional signal.
 */
export function createLeanFetch(): { fetch: typeof fetch; close(): Promise<void> } {
  const agent = new Agent({ connections: 16, headersTimeout: 30_000, bodyTimeout: 30_000 })
  const lean = async (input: string | URL | Request, init: RequestInit = {}) => {
    if (input instanceof Request || (init.body !== undefined && typeof init.body !== 'string'))
      throw new TypeError('leanFetch sends a URL with a string body only')
    const url = new URL(String(input))
    const answer = await agent.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: (init.method ?? 'GET') as 'GET',
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      body: init.body ?? null,
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
      if (size > MAX_ANSWER_BYTES)
        throw new TypeError(`${String(input)} answered more than ${MAX_ANSWER_BYTES} bytes`)
      chunks.push(chunk)
    }
    const empty = answer.statusCode === 204 || answer.statusCode === 304
    return new Response(empty ? null : Buffer.concat(chunks), { status: answer.statusCode, headers })
  }
  return { fetch: lean as typeof fetch, close: () => agent.close() }
}
