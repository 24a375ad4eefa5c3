import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  AS_METADATA_PATH,
  asMetadataUrl,
  createDiscovery,
  FEDERIZER_DOCUMENT_PATH,
} from '../src/discovery/index.ts'
import {
  type GeneratedSigningKey,
  generateSigningKey,
  signHopAssertion,
  verifyHopAssertion,
} from '../src/jose/index.ts'
import { startHttp, startSrvServer } from './discovery-harness.ts'
import { expectCode } from './jose-helpers.ts'

let dns: Awaited<ReturnType<typeof startSrvServer>>
let gw: Awaited<ReturnType<typeof startHttp>>
let redir: Awaited<ReturnType<typeof startHttp>>
let k1: GeneratedSigningKey
let k2: GeneratedSigningKey
let t = 1_734_900_575
let base: string

const AS_SRV = '_federizer._as._tcp.example.com'
const RS_SRV = '_federizer._rs._tcp.example.com'

const metadata = () => ({
  issuer: base,
  token_endpoint: `${base}/token`,
  jwks_uri: `${base}/jwks`,
  authorization_endpoint: `${base}/authorize`,
  grant_types_supported: ['authorization_code', 'urn:ietf:params:oauth:grant-type:token-exchange'],
})
const document = () => ({
  domain: 'example.com',
  resource_url: base,
  issuer: base,
  mta_client_id: 'mta.example.com',
  delivery_endpoint: `${base}/federizer/deliveries`,
  fetch_endpoint: `${base}/federizer/fetch`,
})

const discovery = (over: Record<string, unknown> = {}) =>
  createDiscovery({ resolveSrv: dns.resolveSrv, fetch, now: () => t, allowInsecure: true, ...over })

beforeAll(async () => {
  ;[dns, gw, redir, k1, k2] = await Promise.all([
    startSrvServer(),
    startHttp(),
    startHttp(),
    generateSigningKey(),
    generateSigningKey('EdDSA'),
  ])
  base = `${gw.origin}/fz`
})
afterAll(async () => {
  await Promise.all([dns.close(), gw.close(), redir.close()])
})
beforeEach(() => {
  t += 10_000 // no cache entry survives from one test to the next (each test also builds its own client)
  dns.records.clear()
  gw.routes.clear()
  redir.routes.clear()
  gw.resetHits()
  redir.resetHits()
  // SRV → the redirect service → the gateway under /fz (the seed's Note 1).
  dns.records.set(AS_SRV, [{ target: '127.0.0.1', port: redir.port }])
  dns.records.set(RS_SRV, [{ target: '127.0.0.1', port: redir.port }])
  redir.redirect(AS_METADATA_PATH, `${gw.origin}${AS_METADATA_PATH}/fz`)
  redir.redirect(FEDERIZER_DOCUMENT_PATH, `${base}${FEDERIZER_DOCUMENT_PATH}`)
  gw.json(`${AS_METADATA_PATH}/fz`, metadata())
  gw.json(`/fz${FEDERIZER_DOCUMENT_PATH}`, document())
  gw.json('/fz/jwks', { keys: [k1.publicJwk] })
})

describe('authorizationServer', () => {
  it('follows SRV and the redirect service to the issuer with a path (RFC 8414 §3.3 exact match)', async () => {
    const as = await discovery().authorizationServer('Example.COM')
    expect(as.issuer).toBe(base)
    expect(as.metadata.token_endpoint).toBe(`${base}/token`)
    expect(as.metadata.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:token-exchange')
  })

  it('works without a redirect service when the SRV target is the AS itself', async () => {
    dns.records.set(AS_SRV, [{ target: '127.0.0.1', port: gw.port }])
    gw.json(AS_METADATA_PATH, { ...metadata(), issuer: gw.origin })
    expect((await discovery().authorizationServer('example.com')).issuer).toBe(gw.origin)
  })

  it('reads an issuer with a path at the inserted well-known URL, never the appended one (RFC 8414 §3.1)', async () => {
    expect(asMetadataUrl(`${gw.origin}/fz`).href).toBe(`${gw.origin}${AS_METADATA_PATH}/fz`)
    expect(asMetadataUrl(`${gw.origin}/fz/`).href).toBe(`${gw.origin}${AS_METADATA_PATH}/fz`)
    expect(asMetadataUrl(gw.origin).href).toBe(`${gw.origin}${AS_METADATA_PATH}`)
    expect((await discovery().authorizationServer('example.com')).issuer).toBe(base)
    expect(gw.hits(`${AS_METADATA_PATH}/fz`)).toBe(1)
    // A redirect to the appended form names no issuer RFC 8414 recognises.
    redir.redirect(AS_METADATA_PATH, `${base}${AS_METADATA_PATH}`)
    gw.json(`/fz${AS_METADATA_PATH}`, metadata())
    const e = await expectCode(discovery().authorizationServer('example.com'), 'discovery_failed')
    expect(e.message).toContain('not an RFC 8414 metadata URL')
  })

  it('refuses metadata whose issuer differs from the URL it came from', async () => {
    gw.json(`${AS_METADATA_PATH}/fz`, { ...metadata(), issuer: `${base}/` })
    const e = await expectCode(discovery().authorizationServer('example.com'), 'wrong_issuer')
    expect(e.message).toContain('RFC 8414')
  })

  it('fails with discovery_failed when there is no SRV record', async () => {
    dns.records.delete(AS_SRV)
    const e = await expectCode(discovery().authorizationServer('example.com'), 'discovery_failed')
    expect(e.message).toContain(AS_SRV)
  })

  it('treats a single "." target as "no service" (RFC 2782)', async () => {
    dns.records.set(AS_SRV, [{ target: '.', port: 0 }])
    const e = await expectCode(discovery().authorizationServer('example.com'), 'discovery_failed')
    expect(e.message).toContain('not available')
  })

  it('follows three redirects but not four', async () => {
    redir.redirect(AS_METADATA_PATH, '/r1')
    redir.redirect('/r1', '/r2')
    redir.redirect('/r2', `${gw.origin}${AS_METADATA_PATH}/fz`)
    expect((await discovery().authorizationServer('example.com')).issuer).toBe(base)
    redir.redirect('/r2', '/r3')
    redir.redirect('/r3', `${gw.origin}${AS_METADATA_PATH}/fz`)
    const e = await expectCode(discovery().authorizationServer('example.com'), 'discovery_failed')
    expect(e.message).toContain('more than 3 redirects')
  })

  it('refuses a redirect that changes the scheme', async () => {
    redir.redirect(AS_METADATA_PATH, `https://127.0.0.1:${gw.port}${AS_METADATA_PATH}/fz`)
    const e = await expectCode(discovery().authorizationServer('example.com'), 'discovery_failed')
    expect(e.message).toContain('http: to https:')
  })

  it('refuses loopback targets and plain http unless allowInsecure', async () => {
    const e = await expectCode(
      discovery({ allowInsecure: false }).authorizationServer('example.com'),
      'private_address',
    )
    expect(e.message).toContain('127.0.0.1 is loopback')
    expect(redir.hits(AS_METADATA_PATH)).toBe(0)
  })

  it('refuses a host name that resolves to a private address (through the injected lookup)', async () => {
    dns.records.set(AS_SRV, [{ target: 'as1.example.com', port: 443 }])
    const lookup = async () => ['93.184.216.34', '10.1.2.3']
    const e = await expectCode(
      discovery({ allowInsecure: false, lookup }).authorizationServer('example.com'),
      'private_address',
    )
    expect(e.message).toContain('10.1.2.3 is private')
  })

  it('falls back to the next SRV target when the preferred one fails', async () => {
    const closed = await startHttp()
    await closed.close()
    dns.records.set(AS_SRV, [
      { target: '127.0.0.1', port: closed.port, priority: 5 },
      { target: '127.0.0.1', port: redir.port, priority: 10 },
    ])
    expect((await discovery().authorizationServer('example.com')).issuer).toBe(base)
  })

  it('refuses malformed metadata, non-JSON and oversized answers', async () => {
    gw.json(`${AS_METADATA_PATH}/fz`, { issuer: base, token_endpoint: 'not a url' })
    await expectCode(discovery().authorizationServer('example.com'), 'discovery_failed')
    gw.routes.set(`${AS_METADATA_PATH}/fz`, (_q, res) => res.writeHead(200).end('<html>'))
    await expectCode(discovery().authorizationServer('example.com'), 'discovery_failed')
    gw.routes.set(`${AS_METADATA_PATH}/fz`, (_q, res) => res.writeHead(200).end('x'.repeat(300 * 1024)))
    await expectCode(discovery().authorizationServer('example.com'), 'too_large')
    gw.routes.set(`${AS_METADATA_PATH}/fz`, (_q, res) => res.writeHead(500).end())
    await expectCode(discovery().authorizationServer('example.com'), 'discovery_failed')
  })

  it('refuses a name that is not a domain', async () => {
    await expectCode(discovery().authorizationServer('exa mple.com'), 'discovery_failed')
    await expectCode(discovery().authorizationServer('localhost'), 'discovery_failed')
  })
})

describe('caching', () => {
  it('serves successes from the cache for the SRV TTL, then asks again', async () => {
    dns.records.set(AS_SRV, [{ target: '127.0.0.1', port: redir.port, ttl: 120 }])
    const d = discovery({ resolveSrv: dns.resolveSrvWithTtl })
    const queries = dns.queries()
    await d.authorizationServer('example.com')
    await d.authorizationServer('example.com')
    expect(dns.queries() - queries).toBe(1)
    expect(gw.hits(`${AS_METADATA_PATH}/fz`)).toBe(1)
    t += 119
    await d.authorizationServer('example.com')
    expect(dns.queries() - queries).toBe(1)
    t += 2
    await d.authorizationServer('example.com')
    expect(dns.queries() - queries).toBe(2)
  })

  it('uses ttlSeconds when the resolver reports no TTL (node:dns)', async () => {
    const d = discovery({ ttlSeconds: 50 })
    const queries = dns.queries()
    await d.authorizationServer('example.com')
    t += 49
    await d.authorizationServer('example.com')
    expect(dns.queries() - queries).toBe(1)
    t += 2
    await d.authorizationServer('example.com')
    expect(dns.queries() - queries).toBe(2)
  })

  it('keeps at most maxCacheEntries domains, evicting the least recently used', async () => {
    for (const name of ['a.example', 'b.example']) {
      dns.records.set(`_federizer._as._tcp.${name}`, [{ target: '127.0.0.1', port: redir.port }])
    }
    const d = discovery({ maxCacheEntries: 2 })
    await d.authorizationServer('example.com')
    await d.authorizationServer('a.example')
    await d.authorizationServer('b.example')
    const before = dns.queries()
    await d.authorizationServer('b.example') // still cached
    expect(dns.queries()).toBe(before)
    await d.authorizationServer('example.com') // evicted by the third domain: asked again
    expect(dns.queries()).toBeGreaterThan(before)
  })

  it('remembers a failure briefly (failureTtlSeconds)', async () => {
    dns.records.delete(AS_SRV)
    const d = discovery({ failureTtlSeconds: 30 })
    await expectCode(d.authorizationServer('example.com'), 'discovery_failed')
    dns.records.set(AS_SRV, [{ target: '127.0.0.1', port: redir.port }])
    const queries = dns.queries()
    await expectCode(d.authorizationServer('example.com'), 'discovery_failed')
    expect(dns.queries()).toBe(queries)
    t += 31
    expect((await d.authorizationServer('example.com')).issuer).toBe(base)
  })
})

describe('mailbox and domainPeer', () => {
  it('reads the federizer document and pairs it with the AS', async () => {
    const d = discovery()
    expect(await d.mailbox('example.com')).toEqual(document())
    expect(await d.domainPeer('example.com')).toEqual({
      issuer: base,
      mtaClientId: 'mta.example.com',
      resourceUrl: base,
      deliveryEndpoint: `${base}/federizer/deliveries`,
      fetchEndpoint: `${base}/federizer/fetch`,
    })
  })

  it('refuses a document whose resource_url is not where it was served from', async () => {
    gw.json(`/fz${FEDERIZER_DOCUMENT_PATH}`, { ...document(), resource_url: 'https://elsewhere.example' })
    const e = await expectCode(discovery().mailbox('example.com'), 'discovery_failed')
    expect(e.message).toContain('resource_url')
  })

  it('refuses a malformed document and a document for another domain', async () => {
    const { mta_client_id: _, ...noClient } = document()
    gw.json(`/fz${FEDERIZER_DOCUMENT_PATH}`, noClient)
    const e = await expectCode(discovery().mailbox('example.com'), 'discovery_failed')
    expect(e.message).toContain('mta_client_id')
    gw.json(`/fz${FEDERIZER_DOCUMENT_PATH}`, { ...document(), domain: 'example.net' })
    await expectCode(discovery().mailbox('example.com'), 'discovery_failed')
  })

  it.each(['delivery_endpoint', 'fetch_endpoint'])(
    'refuses a %s on another origin than the discovered base URL (SSRF)',
    async (member) => {
      const internal = `http://127.0.0.1:${redir.port}/admin/reset`
      gw.json(`/fz${FEDERIZER_DOCUMENT_PATH}`, { ...document(), [member]: internal })
      const e = await expectCode(discovery().mailbox('example.com'), 'discovery_failed')
      expect(e.message).toContain(member)
      expect(redir.hits('/admin/reset')).toBe(0)
    },
  )

  it('refuses plain http to a host that is not loopback, even in development', async () => {
    gw.json(`/fz${FEDERIZER_DOCUMENT_PATH}`, document())
    dns.records.set(RS_SRV, [{ target: 'mail.example.com', port: redir.port }])
    const e = await expectCode(discovery().mailbox('example.com'), 'discovery_failed')
    expect(e.message).toContain('only https')
  })

  it('refuses a peer whose mailbox names another issuer than its SRV record leads to', async () => {
    gw.json(`/fz${FEDERIZER_DOCUMENT_PATH}`, { ...document(), issuer: 'https://as.evil.example' })
    await expectCode(discovery().domainPeer('example.com'), 'wrong_issuer')
  })
})

describe('keyResolverFor', () => {
  const claims = (jti: string) => ({
    iss: base,
    sub: 'alice@example.com',
    azp: 'mta.example.com',
    cnf: { jkt: k1.kid },
    eh: { eht: k1.kid, ehl: ['Message-ID'] },
    iat: t,
    exp: t + 600,
    jti,
  })

  it('verifies with the JWKS named by the metadata, caching it', async () => {
    const d = discovery()
    const resolveKey = d.keyResolverFor(base)
    const jws = await signHopAssertion(claims('a'), k1)
    await verifyHopAssertion(jws, { resolveKey, now: t, issuer: base })
    await verifyHopAssertion(jws, { resolveKey, now: t, issuer: base })
    expect(gw.hits('/fz/jwks')).toBe(1)
  })

  it('reuses the metadata found through SRV instead of fetching it again', async () => {
    const d = discovery()
    await d.authorizationServer('example.com')
    await verifyHopAssertion(await signHopAssertion(claims('a'), k1), {
      resolveKey: d.keyResolverFor(base),
      now: t,
    })
    expect(gw.hits(`${AS_METADATA_PATH}/fz`)).toBe(1)
    expect(gw.hits('/fz/jwks')).toBe(1)
  })

  it('refetches once on an unknown kid (key rotation), then remembers an unknown kid briefly', async () => {
    const d = discovery()
    const resolveKey = d.keyResolverFor(base)
    await verifyHopAssertion(await signHopAssertion(claims('a'), k1), { resolveKey, now: t })
    gw.json('/fz/jwks', { keys: [k1.publicJwk, k2.publicJwk] })
    await verifyHopAssertion(await signHopAssertion(claims('b'), k2), { resolveKey, now: t })
    expect(gw.hits('/fz/jwks')).toBe(2)
    // Unknown-kid refetches are at most one per 30 s per issuer (discovery-jwks-cache.test.ts).
    t += 30
    const stranger = await generateSigningKey()
    const foreign = await signHopAssertion(claims('c'), stranger)
    const e = await expectCode(verifyHopAssertion(foreign, { resolveKey, now: t }), 'unknown_key')
    expect(e.message).toContain(stranger.kid)
    expect(gw.hits('/fz/jwks')).toBe(3)
    await expectCode(verifyHopAssertion(foreign, { resolveKey, now: t }), 'unknown_key')
    expect(gw.hits('/fz/jwks')).toBe(3)
  })

  it.each(['jwks_uri', 'token_endpoint'])(
    'refuses AS metadata whose %s is on another origin',
    async (member) => {
      gw.json(`${AS_METADATA_PATH}/fz`, { ...metadata(), [member]: `http://127.0.0.1:${redir.port}/keys` })
      const jws = await signHopAssertion(claims('a'), k1)
      const e = await expectCode(
        verifyHopAssertion(jws, { resolveKey: discovery().keyResolverFor(base), now: t }),
        'discovery_failed',
      )
      expect(e.message).toContain(member)
      expect(redir.hits('/keys')).toBe(0)
    },
  )

  it('reads the keys of an issuer with a path through its inserted metadata URL (RFC 8414 §3.1)', async () => {
    const jws = await signHopAssertion(claims('p'), k1)
    await verifyHopAssertion(jws, { resolveKey: discovery().keyResolverFor(base), now: t })
    expect(gw.hits(`${AS_METADATA_PATH}/fz`)).toBe(1)
    expect(gw.hits(`/fz${AS_METADATA_PATH}`)).toBe(0)
  })

  it('refuses an issuer whose metadata names another issuer, and a malformed JWKS', async () => {
    const jws = await signHopAssertion(claims('a'), k1)
    const wrong = discovery().keyResolverFor(`${gw.origin}/other`)
    gw.json(`${AS_METADATA_PATH}/other`, metadata())
    await expectCode(verifyHopAssertion(jws, { resolveKey: wrong, now: t }), 'wrong_issuer')
    gw.json('/fz/jwks', { keys: 'nope' })
    await expectCode(
      verifyHopAssertion(jws, { resolveKey: discovery().keyResolverFor(base), now: t }),
      'discovery_failed',
    )
  })
})
