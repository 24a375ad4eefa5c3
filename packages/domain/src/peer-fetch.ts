import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { isIP } from 'node:net'
import type { Readable } from 'node:stream'
import { isAllowedPeerAddress, isLoopbackHost, nonPublicRange } from '@federizer/protocol'
import { Agent, fetch as undiciFetch } from 'undici'

/** Timeouts and per-destination concurrency of every request to a peer (docs/security.md, SSRF and stalls). */
export interface PeerFetchOptions {
  /** Development only: plain http and loopback addresses (DomainConfig.allowInsecureTargets). */
  allowLoopback: boolean
  connectTimeoutMs?: number
  /** Until the response headers arrive. */
  headersTimeoutMs?: number
  /** Longest silence while reading a body. */
  bodyTimeoutMs?: number
  /** Open connections per origin: one slow peer cannot take every socket (default 8). */
  connectionsPerOrigin?: number
}

/** The request went to an address (or with a scheme) no peer may make us use. */
class PeerAddressError extends Error {
  override readonly name = 'PeerAddressError'
  readonly code = 'peer_address_refused'
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/**
 * A DNS lookup that checks every address of the name and hands the socket only checked ones, so the
 * address checked is the address connected to (no DNS-rebinding window between check and connect).
 */
function pinnedLookup(allowLoopback: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0)
    dnsLookup(hostname, { all: true, family }, (err, addresses) => {
      if (err) return callback(err, [])
      const refused = addresses.find((a) => !isAllowedPeerAddress(a.address, allowLoopback))
      if (refused !== undefined || addresses.length === 0) {
        const why = refused ? `${refused.address} is ${nonPublicRange(refused.address)}` : 'no address'
        return callback(new PeerAddressError(`refusing to connect to ${hostname}: ${why}`), [])
      }
      if (options.all) return callback(null, addresses)
      const first = addresses[0] as LookupAddress
      return callback(null, first.address, first.family)
    })
  }
}

/** Refuses a URL before any socket is opened: https only (http to loopback in development), IP literals checked. */
function assertPeerUrl(url: URL, allowLoopback: boolean): void {
  if (
    url.protocol !== 'https:' &&
    !(url.protocol === 'http:' && allowLoopback && isLoopbackHost(url.hostname))
  )
    throw new PeerAddressError(`refusing ${url.protocol}//${url.host}: only https is allowed`)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  // A literal address never reaches the lookup: check it here.
  if (isIP(host) !== 0 && !isAllowedPeerAddress(host, allowLoopback))
    throw new PeerAddressError(`refusing to connect to ${host}: ${nonPublicRange(host)}`)
}

/** undici `request`'s header object as a WHATWG `Headers` (a repeated header keeps every value). */
export function headersOf(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else if (value !== undefined) headers.set(name, value)
  }
  return headers
}

/** An answer of `PeerStream`: the body a node stream, for bodies read in bulk. */
export interface PeerStreamResponse {
  status: number
  headers: Headers
  body: Readable
}

/**
 * A POST through the same pinned agent as the peer fetch, answered with a node stream body (undici's
 * `request`): no WHATWG stream per chunk, which costs the fetch of a large resource a third of its CPU
 * (docs/benchmarks.md, section 1). Same address checks, timeouts and connection limit; never redirects.
 */
export type PeerStream = (
  url: string,
  init: { headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<PeerStreamResponse>

/**
 * The fetch every request to another domain goes through (discovery, delivery, fetch, token
 * exchange, JWKS): an undici Agent whose connections are pinned to checked addresses, with connect,
 * headers and body timeouts, a per-origin connection limit, and redirects never followed (discovery
 * follows them itself, checking each target). `stream` is the same for a resource fetched in bulk.
 * @see RFC 9110 §15.4, docs/security.md (SSRF)
 */
export function createPeerFetch(options: PeerFetchOptions): {
  fetch: typeof fetch
  stream: PeerStream
  close(): Promise<void>
} {
  const agent = new Agent({
    connect: { timeout: options.connectTimeoutMs ?? 10_000, lookup: pinnedLookup(options.allowLoopback) },
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyTimeoutMs ?? 30_000,
    connections: options.connectionsPerOrigin ?? 8,
  })
  const peerFetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    assertPeerUrl(url, options.allowLoopback)
    return undiciFetch(url, { ...(init as object), redirect: 'manual', dispatcher: agent } as never)
  }
  const stream: PeerStream = async (target, init) => {
    const url = new URL(target)
    assertPeerUrl(url, options.allowLoopback)
    const answer = await agent.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: init.headers,
      body: init.body,
      signal: init.signal ?? null,
    })
    return { status: answer.statusCode, headers: headersOf(answer.headers), body: answer.body }
  }
  return { fetch: peerFetch as unknown as typeof fetch, stream, close: () => agent.close() }
}
