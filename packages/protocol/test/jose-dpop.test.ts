import { beforeAll, describe, expect, it } from 'vitest'
import {
  accessTokenHash,
  createDpopKey,
  createDpopProof,
  createMemoryReplayStore,
  type DpopKey,
  generateSigningKey,
  jwkThumbprint,
  normalizeHtu,
  type ReplayStore,
  verifyDpopProof,
} from '../src/jose/index.ts'
import { b64, expectCode, hs256, rawJws, tamper } from './jose-helpers.ts'

const NOW = 1_734_900_575
const HTU = 'https://as1.example.com/token'
const AT = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU'

let key: DpopKey
let keyEd: DpopKey
let keyRs: DpopKey
const clock = NOW
const replayStore = () => createMemoryReplayStore(() => clock)

beforeAll(async () => {
  ;[key, keyEd, keyRs] = await Promise.all([createDpopKey(), createDpopKey('EdDSA'), createDpopKey('RS256')])
})

const verifyOpts = (replay: ReplayStore, over: Record<string, unknown> = {}) => ({
  htm: 'POST',
  htu: HTU,
  now: NOW,
  replay,
  ...over,
})

describe('normalizeHtu (RFC 9449 §4.3)', () => {
  it('drops query and fragment, lower-cases scheme and host, drops the default port', () => {
    expect(normalizeHtu('HTTPS://AS1.Example.COM:443/token?x=1#frag')).toBe('https://as1.example.com/token')
    expect(normalizeHtu('http://example.com:80/a/../b')).toBe('http://example.com/b')
    expect(normalizeHtu('https://example.com:8443/Token')).toBe('https://example.com:8443/Token')
    expect(normalizeHtu('https://example.com')).toBe('https://example.com/')
  })
  it('refuses relative and non-http URLs', () => {
    expect(() => normalizeHtu('/token')).toThrow(/absolute URL/)
    expect(() => normalizeHtu('ftp://example.com/x')).toThrow(/http/)
  })
})

describe('accessTokenHash', () => {
  it('computes the RFC 9449 §7.1 ath example', () => {
    expect(accessTokenHash(AT)).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo')
  })
})

describe('createDpopKey', () => {
  it('returns a public jwk without private members and its thumbprint', async () => {
    expect(key.publicJwk).not.toHaveProperty('d')
    expect(key.privateJwk).toHaveProperty('d')
    expect(key.jkt).toBe(await jwkThumbprint(key.publicJwk))
  })
})

describe('DPoP proofs', () => {
  it.each(['ES256', 'EdDSA', 'RS256'] as const)('create → verify with %s', async (alg) => {
    const k = { ES256: key, EdDSA: keyEd, RS256: keyRs }[alg]
    const proof = await createDpopProof({ key: k, htm: 'POST', htu: `${HTU}?q=1`, now: NOW })
    const [h] = proof.split('.') as [string]
    const header = JSON.parse(Buffer.from(h, 'base64url').toString())
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg })
    expect(header.jwk).not.toHaveProperty('d')
    const result = await verifyDpopProof(proof, verifyOpts(replayStore()))
    expect(result.jkt).toBe(k.jkt)
    expect(result.claims).toMatchObject({ htm: 'POST', htu: HTU, iat: NOW })
  })

  it('binds the access token through ath and the key through expectedJkt', async () => {
    const proof = await createDpopProof({ key, htm: 'POST', htu: HTU, accessToken: AT, now: NOW })
    const ok = await verifyDpopProof(
      proof,
      verifyOpts(replayStore(), { accessToken: AT, expectedJkt: key.jkt }),
    )
    expect(ok.claims.ath).toBe(accessTokenHash(AT))
    await expectCode(
      verifyDpopProof(proof, verifyOpts(replayStore(), { accessToken: `${AT}x` })),
      'invalid_dpop',
    )
    await expectCode(
      verifyDpopProof(proof, verifyOpts(replayStore(), { expectedJkt: keyEd.jkt })),
      'invalid_dpop',
    )
    const noAth = await createDpopProof({ key, htm: 'POST', htu: HTU, now: NOW })
    const e = await expectCode(
      verifyDpopProof(noAth, verifyOpts(replayStore(), { accessToken: AT })),
      'invalid_dpop',
    )
    expect(e.message).toContain('ath')
  })

  it('refuses a replayed jti, and only after the proof passed every other check', async () => {
    const replay = replayStore()
    const proof = await createDpopProof({ key, htm: 'POST', htu: HTU, now: NOW, jti: 'j-1' })
    await expectCode(verifyDpopProof(proof, verifyOpts(replay, { htm: 'GET' })), 'invalid_dpop')
    await verifyDpopProof(proof, verifyOpts(replay))
    await expectCode(verifyDpopProof(proof, verifyOpts(replay)), 'replayed')
    // The same jti from another key is a different proof.
    const other = await createDpopProof({ key: keyEd, htm: 'POST', htu: HTU, now: NOW, jti: 'j-1' })
    await expect(verifyDpopProof(other, verifyOpts(replay))).resolves.toBeTruthy()
  })

  it('refuses another method or another URL', async () => {
    const proof = await createDpopProof({ key, htm: 'POST', htu: HTU, now: NOW })
    await expectCode(verifyDpopProof(proof, verifyOpts(replayStore(), { htm: 'GET' })), 'invalid_dpop')
    await expectCode(
      verifyDpopProof(proof, verifyOpts(replayStore(), { htu: 'https://as1.example.com/revoke' })),
      'invalid_dpop',
    )
    await expectCode(
      verifyDpopProof(proof, verifyOpts(replayStore(), { htu: 'https://as1.example.com:8443/token' })),
      'invalid_dpop',
    )
    // Equivalent spellings of the same target are accepted.
    await verifyDpopProof(proof, verifyOpts(replayStore(), { htu: 'https://AS1.example.com:443/token?a=b' }))
  })

  it('enforces the iat window (default ±60 s, configurable)', async () => {
    const old = await createDpopProof({ key, htm: 'POST', htu: HTU, now: NOW - 61 })
    const future = await createDpopProof({ key, htm: 'POST', htu: HTU, now: NOW + 61 })
    await expectCode(verifyDpopProof(old, verifyOpts(replayStore())), 'invalid_dpop')
    await expectCode(verifyDpopProof(future, verifyOpts(replayStore())), 'invalid_dpop')
    await verifyDpopProof(old, verifyOpts(replayStore(), { iatWindowSeconds: 120 }))
  })

  it('asks for the server nonce (use_dpop_nonce) when it is missing or stale', async () => {
    const without = await createDpopProof({ key, htm: 'POST', htu: HTU, now: NOW })
    const stale = await createDpopProof({ key, htm: 'POST', htu: HTU, now: NOW, nonce: 'old' })
    const fresh = await createDpopProof({ key, htm: 'POST', htu: HTU, now: NOW, nonce: 'n-2' })
    await expectCode(verifyDpopProof(without, verifyOpts(replayStore(), { nonce: 'n-2' })), 'use_dpop_nonce')
    await expectCode(verifyDpopProof(stale, verifyOpts(replayStore(), { nonce: 'n-2' })), 'use_dpop_nonce')
    const ok = await verifyDpopProof(fresh, verifyOpts(replayStore(), { nonce: 'n-2' }))
    expect(ok.claims.nonce).toBe('n-2')
  })

  it('refuses a tampered proof, a wrong typ, alg none, HS256 and a private jwk', async () => {
    const replay = replayStore()
    const proof = await createDpopProof({ key, htm: 'POST', htu: HTU, now: NOW })
    await expectCode(verifyDpopProof(tamper(proof), verifyOpts(replay)), 'invalid_dpop')
    const claims = { jti: 'x', htm: 'POST', htu: HTU, iat: NOW }
    const cases = [
      await rawJws({ typ: 'JWT', alg: 'ES256', jwk: key.publicJwk }, claims, key.privateJwk),
      await rawJws({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk }, claims, null),
      hs256({ typ: 'dpop+jwt', jwk: key.publicJwk }, claims, 'secret'),
      await rawJws({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.privateJwk }, claims, key.privateJwk),
      await rawJws({ typ: 'dpop+jwt', alg: 'ES256' }, claims, key.privateJwk),
      // Signed by one key while naming another in the header.
      await rawJws({ typ: 'dpop+jwt', alg: 'ES256', jwk: keyEd.publicJwk }, claims, key.privateJwk),
    ]
    for (const bad of cases) await expectCode(verifyDpopProof(bad, verifyOpts(replay)), 'invalid_dpop')
  })

  it('refuses a symmetric jwk and a proof missing required claims', async () => {
    const replay = replayStore()
    const oct = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'oct', k: 'c2VjcmV0' } })}.${b64({})}.sig`
    await expectCode(verifyDpopProof(oct, verifyOpts(replay)), 'invalid_dpop')
    for (const drop of ['jti', 'htm', 'htu', 'iat']) {
      const claims: Record<string, unknown> = { jti: 'y', htm: 'POST', htu: HTU, iat: NOW }
      delete claims[drop]
      const jws = await rawJws({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk }, claims, key.privateJwk)
      const e = await expectCode(verifyDpopProof(jws, verifyOpts(replay)), 'invalid_dpop')
      expect(e.message).toContain(drop)
    }
  })

  it('refuses oversized and malformed input', async () => {
    const replay = replayStore()
    for (const bad of ['', 'a.b', 'x'.repeat(9000), '..']) {
      await expectCode(verifyDpopProof(bad, verifyOpts(replay)), 'invalid_dpop')
    }
  })

  it('refuses a signing key generated as a hop signing key used without a jwk header', async () => {
    const signing = await generateSigningKey()
    const jws = await rawJws(
      { typ: 'dpop+jwt', alg: 'ES256', kid: signing.kid },
      { jti: 'z', htm: 'POST', htu: HTU, iat: NOW },
      signing.privateJwk,
    )
    await expectCode(verifyDpopProof(jws, verifyOpts(replayStore())), 'invalid_dpop')
  })
})

describe('createMemoryReplayStore', () => {
  it('remembers a key until it expires', async () => {
    let t = 100
    const store = createMemoryReplayStore(() => t)
    expect(await store.seen('a', 160)).toBe(false)
    expect(await store.seen('a', 160)).toBe(true)
    t = 161
    expect(await store.seen('a', 220)).toBe(false)
  })
  it('refuses new keys rather than forgetting live ones when full', async () => {
    const t = 100
    const store = createMemoryReplayStore(() => t, 2)
    expect(await store.seen('a', 200)).toBe(false)
    expect(await store.seen('b', 200)).toBe(false)
    expect(await store.seen('c', 200)).toBe(true)
  })
})
