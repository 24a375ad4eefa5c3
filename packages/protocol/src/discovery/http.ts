import { ProtocolError } from '../errors.ts'

/** The seed's redirect service may bounce a request at most this many times (same scheme only). */
export const MAX_DISCOVERY_REDIRECTS = 3

/** Discovery documents are small; anything bigger is refused. */
export const MAX_DISCOVERY_BODY_BYTES = 256 * 1024

export interface JsonFetchOptions {
  fetch: typeof fetch
  /** Checked before every request (the first and each redirect target): SSRF policy. */
  checkTarget: (url: URL) => Promise<void>
  timeoutMs: number
  maxRedirects?: number
  maxBytes?: number
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/**
 * GETs a JSON document, following at most `maxRedirects` same-scheme redirects by hand (fetch with
 * `redirect: 'manual'`), and returns the final URL with the parsed body and the response headers.
 * @see RFC 9110 §15.4 (redirections), docs/protocol.md §5
 */
export async function getJsonFollowingRedirects(
  start: URL,
  options: JsonFetchOptions,
): Promise<{ finalUrl: URL; body: unknown; headers: Headers }> {
  const maxRedirects = options.maxRedirects ?? MAX_DISCOVERY_REDIRECTS
  let url = start
  for (let redirects = 0; ; redirects++) {
    await options.checkTarget(url)
    let response: Response
    try {
      response = await options.fetch(url, {
        method: 'GET',
        redirect: 'manual',
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(options.timeoutMs),
      })
    } catch (cause) {
      throw new ProtocolError('discovery_failed', `cannot reach ${url.href}: ${(cause as Error).message}`, {
        cause,
      })
    }
    if (REDIRECTS.has(response.status)) {
      await response.body?.cancel()
      const location = response.headers.get('location')
      if (location === null)
        throw new ProtocolError('discovery_failed', `${url.href} redirected without a Location`)
      if (redirects >= maxRedirects) {
        throw new ProtocolError('discovery_failed', `more than ${maxRedirects} redirects from ${start.href}`)
      }
      let next: URL
      try {
        next = new URL(location, url)
      } catch (cause) {
        throw new ProtocolError('discovery_failed', `${url.href} redirected to an invalid URL`, { cause })
      }
      if (next.protocol !== url.protocol) {
        throw new ProtocolError(
          'discovery_failed',
          `refusing a redirect from ${url.protocol} to ${next.protocol} (${url.href} → ${next.href})`,
        )
      }
      url = next
      continue
    }
    if (response.status !== 200) {
      await response.body?.cancel()
      throw new ProtocolError('discovery_failed', `${url.href} answered ${response.status}`)
    }
    return {
      finalUrl: url,
      headers: response.headers,
      body: await readLimitedJson(response, url, options.maxBytes ?? MAX_DISCOVERY_BODY_BYTES),
    }
  }
}

async function readLimitedJson(response: Response, url: URL, maxBytes: number): Promise<unknown> {
  const declared = Number(response.headers.get('content-length') ?? '0')
  if (declared > maxBytes) {
    await response.body?.cancel()
    throw new ProtocolError('too_large', `${url.href} is larger than ${maxBytes} bytes`)
  }
  const chunks: Uint8Array[] = []
  let size = 0
  if (response.body !== null) {
    for await (const chunk of response.body) {
      size += chunk.byteLength
      if (size > maxBytes) {
        await response.body.cancel().catch(() => {})
        throw new ProtocolError('too_large', `${url.href} is larger than ${maxBytes} bytes`)
      }
      chunks.push(chunk)
    }
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (cause) {
    throw new ProtocolError('discovery_failed', `${url.href} did not answer JSON`, { cause })
  }
}
