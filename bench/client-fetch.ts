import { Agent } from 'undici'

/** The largest answer the bench's client reads whole (tRPC answers, an upload's JSON). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024

const agent = new Agent({ connections: 64, headersTimeout: 120_000, bodyTimeout: 120_000 })

/**
 * The fetch of the bench's own client (the senders' tRPC calls and uploads): undici's `request` on a
 * keep-alive agent, answered with a buffered `Response`, instead of the global fetch, whose WHATWG
 * streams cost the client ~2–3 ms of CPU per text message. The client is not what is measured (its CPU is
 * reported apart), but on a 2-core machine every millisecond it spends is taken from the servers, as
 * Postfix's `smtp-source`, written in C, takes little from Postfix. The requests on the wire are the same.
 */
export const clientFetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
  if (input instanceof Request) throw new TypeError('clientFetch takes a URL')
  const body = init.body
  if (body != null && typeof body !== 'string' && !(body instanceof Uint8Array))
    throw new TypeError('clientFetch sends a string or bytes')
  const url = new URL(String(input))
  const answer = await agent.request({
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: (init.method ?? 'GET') as 'GET',
    headers: Object.fromEntries(new Headers(init.headers).entries()),
    body: body ?? null,
    signal: init.signal ?? null,
  })
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of answer.body as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    if (size > MAX_ANSWER_BYTES) throw new TypeError(`${url} answered more than ${MAX_ANSWER_BYTES} bytes`)
    chunks.push(chunk)
  }
  const headers = new Headers()
  for (const [name, value] of Object.entries(answer.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else if (value !== undefined) headers.set(name, value)
  }
  const empty = answer.statusCode === 204 || answer.statusCode === 304
  return new Response(empty ? null : Buffer.concat(chunks), { status: answer.statusCode, headers })
}) as typeof fetch

/** Closes the client's connections (at the end of a run). */
export const closeClientFetch = () => agent.close()
