import { lookup as dnsLookup } from 'node:dns/promises'
import type { JWK } from 'jose'
import { ProtocolError } from '../errors.ts'
import type { KeyResolver } from '../jose/jwt.ts'
import { assertPublicHost, isLoopbackHost } from './address.ts'
import { getJsonFollowingRedirects } from './http.ts'
import { createJwksCache, type FetchedJwks } from './jwks-cache.ts'
import { LruMap } from './lru.ts'
import {
  type AuthorizationServerMetadata,
  authorizationServerMetadataSchema,
  type FederizerDocument,
  federizerDocumentSchema,
  jwksSchema,
} from './schemas.ts'
import { orderSrvRecords, type SrvRecord } from './srv.ts'

export const AS_METADATA_PATH = '/.well-known/oauth-authorization-server'
export const FEDERIZER_DOCUMENT_PATH = '/.well-known/federizer'

export interface DiscoveryOptions {
  /** SRV lookup, e.g. `(name) => resolver.resolveSrv(name)` of a node:dns Resolver. */
  resolveSrv: (name: string) => Promise<SrvRecord[]>
  fetch: typeof fetch
  /** All addresses of a host (for the private-address check); default node:dns lookup. */
  lookup?: (host: string) => Promise<string[]>
  /** Seconds since the epoch (a clock, or a fixed value in tests). */
  now: number | (() => number)
  /** Uniform in [0, 1), for the SRV weight draw. */
  random?: () => number
  /** Development only: plain http and loopback / private targets. */
  allowInsecure?: boolean
  /** Cache lifetime of a success when the resolver reports no TTL, and of a JWKS without max-age (default 300). */
  ttlSeconds?: number
  /** Cache lifetime of a failure (default 30). */
  failureTtlSeconds?: number
  /** Per request (default 5000). */
  timeoutMs?: number
  /** Entries per cache (domains, issuers, JWKS, unknown kids), least recently used evicted (default 10,000). */
  maxCacheEntries?: number
}

export interface DomainPeer {
  issuer: string
  mtaClientId: string
  resourceUrl: string
  deliveryEndpoint: string
  fetchEndpoint: string
}

export interface Discovery {
  /** The AS of `domain` via `_federizer._as._tcp`, with its RFC 8414 metadata. */
  authorizationServer(domain: string): Promise<{ issuer: string; metadata: AuthorizationServerMetadata }>
  /** The mailbox document of `domain` via `_federizer._rs._tcp`. */
  mailbox(domain: string): Promise<FederizerDocument>
  /**
   * Resolves signing keys of `issuer` from its JWKS, cached for its Cache-Control max-age within
   * [60 s, 1 h]; an unknown kid refetches at most once per 30 s per issuer (jwks-cache.ts).
   */
  keyResolverFor(issuer: string): KeyResolver
  /** Both records of a domain, checked against each other (the mailbox names the discovered AS). */
  domainPeer(domain: string): Promise<DomainPeer>
}

interface CacheEntry<T> {
  expiresAt: number
  value?: T
  error?: unknown
}

const DOMAIN_RE =
  /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/

function normalizeDomain(domain: string): string {
  const d = String(domain).toLowerCase().replace(/\.$/, '')
  if (!DOMAIN_RE.test(d))
    throw new ProtocolError('discovery_failed', `"${String(domain).slice(0, 100)}" is not a domain name`)
  return d
}

/** Strips `suffix` from the final URL's path: the base URL (issuer or resource URL) it names. */
/**
 * Where an issuer publishes its metadata: the well-known segment is inserted between the host and the
 * issuer's path (a terminating `/` removed first), `https://as.example/fz` →
 * `https://as.example/.well-known/oauth-authorization-server/fz`.
 * @see RFC 8414 §3.1
 */
export function asMetadataUrl(issuer: string): URL {
  const url = new URL(issuer)
  return new URL(`${url.origin}${AS_METADATA_PATH}${url.pathname.replace(/\/$/, '')}`)
}

/** The issuer a metadata URL belongs to: the inverse of asMetadataUrl (RFC 8414 §3.1, §3.3). */
function issuerOfMetadataUrl(finalUrl: URL): string {
  const path = finalUrl.pathname
  if (finalUrl.search !== '' || !(path === AS_METADATA_PATH || path.startsWith(`${AS_METADATA_PATH}/`))) {
    throw new ProtocolError(
      'discovery_failed',
      `the redirect ended at ${finalUrl.href}, which is not an RFC 8414 metadata URL (${AS_METADATA_PATH}[/path])`,
    )
  }
  return `${finalUrl.origin}${path.slice(AS_METADATA_PATH.length)}`
}

function baseOf(finalUrl: URL, suffix: string): string {
  if (finalUrl.search !== '' || !finalUrl.pathname.endsWith(suffix)) {
    throw new ProtocolError(
      'discovery_failed',
      `the redirect ended at ${finalUrl.href}, which does not end in ${suffix}`,
    )
  }
  return `${finalUrl.origin}${finalUrl.pathname.slice(0, -suffix.length)}`
}

/**
 * Refuses a URL a peer's document names unless it is on the origin (scheme, host, port) of the base
 * URL discovery reached: a peer cannot point us at somebody else's server, an internal one above all.
 * @see RFC 6454 §4 (origin), docs/protocol.md §3 Discovery
 */
function assertOnOrigin(url: string, base: string, what: string): void {
  if (new URL(url).origin !== new URL(base).origin) {
    throw new ProtocolError(
      'discovery_failed',
      `${what} is not on the origin of ${new URL(base).origin}, where it was discovered`,
    )
  }
}

/**
 * Creates the discovery client: SRV (RFC 2782) → base URL → redirect service (≤ 3 same-scheme
 * redirects) → RFC 8414 metadata with exact issuer match, or the `/.well-known/federizer` document;
 * successes cached for the SRV TTL, failures briefly; non-public targets refused unless allowInsecure.
 * @see RFC 2782, RFC 8414 §3 and §3.3, docs/protocol.md §5
 */
export function createDiscovery(options: DiscoveryOptions): Discovery {
  const now = typeof options.now === 'function' ? options.now : () => options.now as number
  const random = options.random ?? Math.random
  const insecure = options.allowInsecure === true
  const ttl = options.ttlSeconds ?? 300
  const failureTtl = options.failureTtlSeconds ?? 30
  const timeoutMs = options.timeoutMs ?? 5000
  const lookup =
    options.lookup ?? (async (host: string) => (await dnsLookup(host, { all: true })).map((a) => a.address))
  const maxEntries = options.maxCacheEntries ?? 10_000
  const cache = new LruMap<string, CacheEntry<unknown>>(maxEntries)
  const inflight = new Map<string, Promise<unknown>>()

  /** Memoises `load` under `key`: successes for their own TTL, failures for failureTtl. */
  async function cached<T>(key: string, load: () => Promise<{ value: T; ttl: number }>): Promise<T> {
    const hit = cache.get(key)
    if (hit !== undefined && hit.expiresAt > now()) {
      if (hit.error !== undefined) throw hit.error
      return hit.value as T
    }
    const running = inflight.get(key)
    if (running !== undefined) return running as Promise<T>
    const promise = load().then(
      ({ value, ttl: seconds }) => {
        cache.set(key, { expiresAt: now() + seconds, value })
        return value
      },
      (error: unknown) => {
        cache.set(key, { expiresAt: now() + failureTtl, error })
        throw error
      },
    )
    inflight.set(key, promise)
    try {
      return await promise
    } finally {
      inflight.delete(key)
    }
  }

  async function checkTarget(url: URL): Promise<void> {
    if (insecure) {
      // Development: plain http only to this machine; https anywhere.
      if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) return
      throw new ProtocolError(
        'discovery_failed',
        `refusing ${url.href}: only https, or http to loopback in development, is allowed`,
      )
    }
    if (url.protocol !== 'https:') {
      throw new ProtocolError(
        'discovery_failed',
        `refusing ${url.href}: only https is allowed (allowInsecure is off)`,
      )
    }
    await assertPublicHost(url.hostname, lookup)
  }

  /** Resolves the SRV record and GETs `<base><suffix>` from each target in order until one answers. */
  async function discoverDocument(service: 'as' | 'rs', domain: string, suffix: string) {
    const name = `_federizer._${service}._tcp.${domain}`
    let records: SrvRecord[]
    try {
      records = await options.resolveSrv(name)
    } catch (cause) {
      throw new ProtocolError('discovery_failed', `no SRV record ${name} (${(cause as Error).message})`, {
        cause,
      })
    }
    const ordered = orderSrvRecords(records, random)
    const recordTtl = Math.min(...ordered.map((r) => r.ttl ?? ttl))
    let lastError: unknown
    for (const record of ordered) {
      const scheme = insecure ? 'http' : 'https'
      const start = new URL(`${scheme}://${record.name.replace(/\.$/, '')}:${record.port}${suffix}`)
      try {
        const result = await getJsonFollowingRedirects(start, {
          fetch: options.fetch,
          checkTarget,
          timeoutMs,
        })
        const base =
          suffix === AS_METADATA_PATH ? issuerOfMetadataUrl(result.finalUrl) : baseOf(result.finalUrl, suffix)
        return { ...result, base, ttl: recordTtl }
      } catch (error) {
        lastError = error
      }
    }
    throw lastError
  }

  /** Metadata already validated through SRV discovery, reused by keyResolverFor until `ttl` passes. */
  const asByIssuer = new LruMap<string, { metadata: AuthorizationServerMetadata; expiresAt: number }>(
    maxEntries,
  )

  function parseMetadata(body: unknown, issuer: string): AuthorizationServerMetadata {
    const parsed = authorizationServerMetadataSchema.safeParse(body)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new ProtocolError(
        'discovery_failed',
        `AS metadata of ${issuer} is invalid at "${issue?.path.join('.')}": ${issue?.message}`,
      )
    }
    // RFC 8414 §3.3: the issuer in the document must be identical to the one the URL was built from.
    if (parsed.data.issuer !== issuer) {
      throw new ProtocolError(
        'wrong_issuer',
        `AS metadata names issuer "${parsed.data.issuer}" but was served for "${issuer}" (RFC 8414 §3.3)`,
      )
    }
    for (const member of ['token_endpoint', 'jwks_uri', 'authorization_endpoint'] as const) {
      const url = parsed.data[member]
      if (url !== undefined) assertOnOrigin(url, issuer, `the AS metadata's ${member}`)
    }
    asByIssuer.set(issuer, { metadata: parsed.data, expiresAt: now() + ttl })
    return parsed.data
  }

  const authorizationServer: Discovery['authorizationServer'] = async (input) => {
    const domain = normalizeDomain(input)
    return cached(`as:${domain}`, async () => {
      const { base, body, ttl: recordTtl } = await discoverDocument('as', domain, AS_METADATA_PATH)
      return { value: { issuer: base, metadata: parseMetadata(body, base) }, ttl: recordTtl }
    })
  }

  const mailbox: Discovery['mailbox'] = async (input) => {
    const domain = normalizeDomain(input)
    return cached(`rs:${domain}`, async () => {
      const { base, body, ttl: recordTtl } = await discoverDocument('rs', domain, FEDERIZER_DOCUMENT_PATH)
      const parsed = federizerDocumentSchema.safeParse(body)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        throw new ProtocolError(
          'discovery_failed',
          `the federizer document of ${domain} is invalid at "${issue?.path.join('.')}": ${issue?.message}`,
        )
      }
      if (parsed.data.resource_url !== base) {
        throw new ProtocolError(
          'discovery_failed',
          `the federizer document names resource_url "${parsed.data.resource_url}" but was served from "${base}"`,
        )
      }
      if (parsed.data.domain.toLowerCase() !== domain) {
        throw new ProtocolError(
          'discovery_failed',
          `the federizer document is for "${parsed.data.domain}", not ${domain}`,
        )
      }
      assertOnOrigin(parsed.data.delivery_endpoint, base, 'the delivery_endpoint')
      assertOnOrigin(parsed.data.fetch_endpoint, base, 'the fetch_endpoint')
      return { value: parsed.data, ttl: recordTtl }
    })
  }

  const domainPeer: Discovery['domainPeer'] = async (domain) => {
    const [as, doc] = await Promise.all([authorizationServer(domain), mailbox(domain)])
    if (doc.issuer !== as.issuer) {
      throw new ProtocolError(
        'wrong_issuer',
        `the mailbox of ${domain} names issuer "${doc.issuer}" but its SRV record leads to "${as.issuer}"`,
      )
    }
    return {
      issuer: as.issuer,
      mtaClientId: doc.mta_client_id,
      resourceUrl: doc.resource_url,
      deliveryEndpoint: doc.delivery_endpoint,
      fetchEndpoint: doc.fetch_endpoint,
    }
  }

  /** Metadata of an issuer not reached through SRV: fetched from the issuer URL itself (RFC 8414 §3). */
  function metadataFor(issuer: string): Promise<AuthorizationServerMetadata> {
    const known = asByIssuer.get(issuer)
    if (known !== undefined && known.expiresAt > now()) return Promise.resolve(known.metadata)
    return cached(`meta:${issuer}`, async () => {
      let start: URL
      try {
        start = asMetadataUrl(issuer)
      } catch (cause) {
        throw new ProtocolError('discovery_failed', `issuer "${issuer}" is not a URL`, { cause })
      }
      const { finalUrl, body } = await getJsonFollowingRedirects(start, {
        fetch: options.fetch,
        checkTarget,
        timeoutMs,
        maxRedirects: 0,
      })
      return { value: parseMetadata(body, issuerOfMetadataUrl(finalUrl)), ttl }
    })
  }

  async function loadJwks(issuer: string): Promise<FetchedJwks> {
    const metadata = await metadataFor(issuer)
    const { body, headers } = await getJsonFollowingRedirects(new URL(metadata.jwks_uri), {
      fetch: options.fetch,
      checkTarget,
      timeoutMs,
      maxRedirects: 0,
    })
    const parsed = jwksSchema.safeParse(body)
    if (!parsed.success) throw new ProtocolError('discovery_failed', `the JWKS of ${issuer} is malformed`)
    return { jwks: parsed.data as { keys: JWK[] }, cacheControl: headers.get('cache-control') }
  }

  const keyResolverFor: Discovery['keyResolverFor'] = createJwksCache({
    load: loadJwks,
    now,
    defaultSeconds: ttl,
    failureSeconds: failureTtl,
    maxEntries,
  })

  return { authorizationServer, mailbox, keyResolverFor, domainPeer }
}
