import { Readable } from 'node:stream'
import type { PeerStream, PeerStreamResponse } from '@federizer/domain'
import { createDpopProof } from '@federizer/protocol'
import type { JWK } from 'jose'

export interface DpopPostInput {
  /** The fetch of the request (a test's override, or the domain's peer fetch). */
  fetch: typeof fetch
  /**
   * The peer agent's node-stream POST (`DomainContext.peerStream`), used instead of `fetch` when given:
   * no WHATWG stream per body chunk. `peerStreamOf` gives it when `fetch` is the domain's own.
   */
  stream?: PeerStream | undefined
  url: string
  /** The DPoP-bound token presented as `Authorization: DPoP <token>`. */
  token: string
  key: { privateJwk: JWK; publicJwk: JWK }
  body: string
  contentType?: string
  accept?: string
  now: () => number
  signal?: AbortSignal
}

/** The answer of `dpopPost`: status, headers and the body as a node stream (read it or destroy it). */
export type DpopAnswer = PeerStreamResponse

/** The domain's node-stream POST when `fetch` is the domain's own peer fetch (not a test's override). */
export function peerStreamOf(
  domain: {
    peerFetch: typeof fetch
    peerStream: PeerStream | undefined
  },
  fetch: typeof globalThis.fetch,
): PeerStream | undefined {
  return fetch === domain.peerFetch ? domain.peerStream : undefined
}

/** The request headers of one DPoP-bound POST: a fresh proof bound to the token (`ath`), and the nonce if any. */
async function dpopHeaders(input: DpopPostInput, nonce?: string): Promise<Record<string, string>> {
  const proof = await createDpopProof({
    key: input.key,
    htm: 'POST',
    htu: input.url,
    accessToken: input.token,
    now: input.now(),
    ...(nonce ? { nonce } : {}),
  })
  return {
    authorization: `DPoP ${input.token}`,
    dpop: proof,
    'content-type': input.contentType ?? 'application/json',
    accept: input.accept ?? 'application/json',
  }
}

async function send(input: DpopPostInput, nonce?: string): Promise<DpopAnswer> {
  const headers = await dpopHeaders(input, nonce)
  if (input.stream)
    return input.stream(input.url, {
      headers,
      body: input.body,
      ...(input.signal ? { signal: input.signal } : {}),
    })
  const res = await input.fetch(input.url, {
    method: 'POST',
    redirect: 'manual',
    signal: input.signal,
    headers,
    body: input.body,
  })
  return {
    status: res.status,
    headers: res.headers,
    body: res.body ? Readable.fromWeb(res.body as never, { highWaterMark: 4 << 20 }) : Readable.from([]),
  }
}

/**
 * Ends a body that was not read to its end. A destroyed undici body emits an abort error, which with no
 * listener would be an uncaught exception: it is listened to and dropped here.
 */
export function discardBody(body: Readable): void {
  if (body.readableEnded || body.destroyed) return
  body.on('error', () => {})
  body.destroy()
}

/**
 * POSTs with `Authorization: DPoP <token>` and a fresh proof bound to the token (`ath`); when the
 * server answers `use_dpop_nonce` with a `DPoP-Nonce`, retries once with that nonce.
 * Redirects are not followed: a delivery or fetch endpoint is already the final URL from discovery.
 * @see RFC 9449 §7.1, §8
 */
export async function dpopPost(input: DpopPostInput): Promise<DpopAnswer> {
  const first = await send(input)
  const nonce = first.headers.get('dpop-nonce')
  if (first.status === 401 && nonce) {
    discardBody(first.body)
    return send(input, nonce)
  }
  return first
}

/** What a peer's failed response tells us: a stable code and a classified, user-safe description. */
export interface PeerProblem {
  /** The peer's `error` code when it is a well-formed code, else `http_<status>`. */
  error: string
  /** Ours, from the status class: safe to show a user (never the peer's body). */
  description: string
  /** The peer's own `error_description`, truncated: for logs only. */
  detail: string
}

/** A peer may read at most this much of an error body from us, and we of theirs. */
const MAX_ERROR_BODY_BYTES = 4096

const CODE_RE = /^[a-z][a-z0-9_]{0,63}$/

/** "HTTP 503 (server error)": the status class in words (RFC 9110 §15). */
function describeStatus(status: number): string {
  const kind =
    status >= 500
      ? 'server error'
      : status === 429
        ? 'too many requests'
        : status >= 400
          ? 'refused'
          : 'unexpected answer'
  return `HTTP ${status} (${kind})`
}

/**
 * Reads at most MAX_ERROR_BODY_BYTES of a failed response: a problem body `{ error, error_description }`
 * gives the code; the rest is left unread. The peer's text goes to logs only.
 * @see RFC 6749 §5.2, docs/security.md (a peer's body is never shown to users)
 */
export async function readProblem(res: DpopAnswer): Promise<PeerProblem> {
  const text = await readAtMost(res, MAX_ERROR_BODY_BYTES)
  let error = `http_${res.status}`
  let detail = text.slice(0, 300)
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown }
    if (typeof body.error === 'string' && CODE_RE.test(body.error)) error = body.error
    if (typeof body.error_description === 'string') detail = body.error_description.slice(0, 300)
  } catch {
    // not JSON (or cut short): the status alone classifies it
  }
  return { error, description: describeStatus(res.status), detail }
}

/** Reads up to `max` bytes of a body as UTF-8 and drops the rest (a hostile body never grows memory). */
export async function readAtMost(res: DpopAnswer, max: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      chunks.push(chunk)
      size += chunk.byteLength
      if (size >= max) break
    }
  } catch {
    // a broken body reads as what arrived
  } finally {
    discardBody(res.body)
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8')
}

/** Whether an HTTP failure is worth retrying (server errors, 408, 429) rather than final. */
export const isTransientStatus = (status: number) => status >= 500 || status === 408 || status === 429
