import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  AS_METADATA_PATH,
  createDiscovery,
  JWKS_MAX_CACHE_SECONDS,
  JWKS_MIN_CACHE_SECONDS,
  jwksLifetime,
  UNKNOWN_KID_REFETCH_FLOOR_SECONDS,
} from '../src/discovery/index.ts'
import {
  type GeneratedSigningKey,
  generateSigningKey,
  signHopAssertion,
  verifyHopAssertion,
} from '../src/jose/index.ts'
import { startHttp } from './discovery-harness.ts'
import { expectCode } from './jose-helpers.ts'

// A real loopback HTTP server plays the peer's AS (metadata + JWKS); the clock is injected.
let gw: Awaited<ReturnType<typeof startHttp>>
let k1: GeneratedSigningKey
let k2: GeneratedSigningKey
let t = 1_734_900_575
let issuer: string
const JWKS = '/fz/jwks'

const discovery = () =>
  createDiscovery({
    resolveSrv: async () => [],
    fetch,
    now: () => t,
    allowInsecure: true,
  })

/** Signs a hop assertion with `key` issued now and verifies it at the current clock. */
async function verifyNow(resolveKey: ReturnType<ReturnType<typeof discovery>['keyResolverFor']>, key = k1) {
  const jws = await signHopAssertion(
    {
      iss: issuer,
      sub: 'alice@example.com',
      azp: 'mta.example.com',
      cnf: { jkt: key.kid },
      eh: { eht: key.kid, ehl: ['Message-ID'] },
      iat: t,
      exp: t + 600,
      jti: `j${t}`,
    },
    key,
  )
  return verifyHopAssertion(jws, { resolveKey, now: t, issuer })
}

beforeAll(async () => {
  ;[gw, k1, k2] = await Promise.all([startHttp(), generateSigningKey(), generateSigningKey('EdDSA')])
  issuer = `${gw.origin}/fz`
})
afterAll(() => gw.close())
beforeEach(() => {
  t += 100_000
  gw.routes.clear()
  gw.resetHits()
  gw.json(`${AS_METADATA_PATH}/fz`, {
    issuer,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    grant_types_supported: ['urn:ietf:params:oauth:grant-type:token-exchange'],
  })
})

describe('the remote JWKS cache', () => {
  it("honours the JWKS's max-age: a key the peer removed stops verifying when it ends, no restart", async () => {
    gw.json(JWKS, { keys: [k1.publicJwk] }, { 'cache-control': 'public, max-age=120' })
    const resolveKey = discovery().keyResolverFor(issuer)
    await verifyNow(resolveKey)
    gw.json(JWKS, { keys: [k2.publicJwk] }, { 'cache-control': 'public, max-age=120' })
    t += 119
    await verifyNow(resolveKey) // still inside the lifetime the peer gave
    expect(gw.hits(JWKS)).toBe(1)
    t += 2
    await expectCode(verifyNow(resolveKey), 'unknown_key')
    expect(gw.hits(JWKS)).toBe(2)
    await verifyNow(resolveKey, k2)
    expect(gw.hits(JWKS)).toBe(2)
  })

  it.each([
    ['max-age=5', JWKS_MIN_CACHE_SECONDS],
    ['no-store', JWKS_MIN_CACHE_SECONDS],
    ['max-age=86400', JWKS_MAX_CACHE_SECONDS],
    [undefined, 300],
  ])('bounds the lifetime (Cache-Control %s → %i s)', async (cacheControl, seconds) => {
    const headers: Record<string, string> = cacheControl ? { 'cache-control': cacheControl } : {}
    gw.json(JWKS, { keys: [k1.publicJwk] }, headers)
    const resolveKey = discovery().keyResolverFor(issuer)
    await verifyNow(resolveKey)
    t += seconds - 1
    await verifyNow(resolveKey)
    expect(gw.hits(JWKS)).toBe(1)
    t += 1
    await verifyNow(resolveKey)
    expect(gw.hits(JWKS)).toBe(2)
  })

  it('refetches at once for a kid rotated in, then at most once per 30 s per issuer for unknown kids', async () => {
    gw.json(JWKS, { keys: [k1.publicJwk] }, { 'cache-control': 'max-age=3600' })
    const resolveKey = discovery().keyResolverFor(issuer)
    await verifyNow(resolveKey)
    gw.json(JWKS, { keys: [k1.publicJwk, k2.publicJwk] }, { 'cache-control': 'max-age=3600' })
    await verifyNow(resolveKey, k2) // rotated in since we cached: one refetch
    expect(gw.hits(JWKS)).toBe(2)
    // A flood of made-up kids, each different, for the rest of the floor: no request reaches the peer.
    const strangers = await Promise.all(Array.from({ length: 20 }, () => generateSigningKey()))
    const flood = []
    for (let i = 0; i < 2000; i++) {
      const kid = `made-up-${i}`
      flood.push(expectCode(resolveKey({ alg: 'ES256', kid }), 'unknown_key'))
    }
    for (const s of strangers) flood.push(expectCode(verifyNow(resolveKey, s), 'unknown_key'))
    await Promise.all(flood)
    t += UNKNOWN_KID_REFETCH_FLOOR_SECONDS - 1
    await expectCode(verifyNow(resolveKey, strangers[0]), 'unknown_key')
    expect(gw.hits(JWKS)).toBe(2)
    await verifyNow(resolveKey) // the known keys keep verifying meanwhile
    t += 1
    await expectCode(verifyNow(resolveKey, strangers[1]), 'unknown_key')
    expect(gw.hits(JWKS)).toBe(3)
  })

  it('a failed refetch for an unknown kid keeps the keys it held', async () => {
    gw.json(JWKS, { keys: [k1.publicJwk] }, { 'cache-control': 'max-age=600' })
    const resolveKey = discovery().keyResolverFor(issuer)
    await verifyNow(resolveKey)
    gw.routes.set(JWKS, (_req, res) => res.writeHead(503).end())
    await expectCode(verifyNow(resolveKey, k2), 'discovery_failed')
    expect(gw.hits(JWKS)).toBe(2)
    await verifyNow(resolveKey)
    expect(gw.hits(JWKS)).toBe(2)
  })
})

describe('jwksLifetime', () => {
  it.each([
    ['public, max-age=900', 900],
    ['max-age="120", must-revalidate', 120],
    ['no-cache', 60],
    ['private, no-store, max-age=600', 60],
    ['s-maxage=900', 300],
    ['max-age=abc', 300],
    [null, 300],
  ])('%s → %i', (header, seconds) => {
    expect(jwksLifetime(header, 300)).toBe(seconds)
  })
})
