import { beforeAll, describe, expect, it } from 'vitest'
import {
  assertPkceVerifier,
  CLIENT_ASSERTION_TYP,
  createClientAssertion,
  createMemoryReplayStore,
  createPkceVerifier,
  type GeneratedSigningKey,
  generateSigningKey,
  type KeyResolver,
  keyResolverFromJwks,
  pkceChallengeS256,
  verifyClientAssertion,
  verifyPkceS256,
} from '../src/jose/index.ts'
import { expectCode, hs256, rawJws, tamper } from './jose-helpers.ts'

describe('PKCE S256 (RFC 7636)', () => {
  it('matches RFC 7636 Appendix B', () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
    expect(pkceChallengeS256(verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
    expect(verifyPkceS256(verifier, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(true)
  })
  it('creates 43-character verifiers from 32 random octets', () => {
    const v = createPkceVerifier()
    expect(v).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(createPkceVerifier()).not.toBe(v)
    expect(createPkceVerifier((n) => new Uint8Array(n))).toBe('A'.repeat(43))
  })
  it('accepts 43 and 128 characters of the unreserved set, refuses 42, 129 and other characters', () => {
    expect(() => assertPkceVerifier('a'.repeat(43))).not.toThrow()
    expect(() => assertPkceVerifier('-._~'.repeat(32))).not.toThrow()
    for (const bad of ['a'.repeat(42), 'a'.repeat(129), `${'a'.repeat(42)}+`, `${'a'.repeat(42)} `, 42]) {
      expect(() => assertPkceVerifier(bad)).toThrow(/code_verifier must be 43–128/)
    }
  })
  it('refuses a mismatch, a plain challenge and a malformed challenge with invalid_pkce', async () => {
    const v = createPkceVerifier()
    await expectCode(() => verifyPkceS256(v, pkceChallengeS256(createPkceVerifier())), 'invalid_pkce')
    await expectCode(() => verifyPkceS256(v, v), 'invalid_pkce') // plain: challenge = verifier
    await expectCode(() => verifyPkceS256(v, 'short'), 'invalid_pkce')
    await expectCode(() => verifyPkceS256('short', pkceChallengeS256(v)), 'invalid_pkce')
  })
})

describe('client assertions (RFC 7523 private_key_jwt)', () => {
  const NOW = 1_734_900_575
  const CLIENT = 'mta.example.com'
  const ISSUER = 'https://as1.example.com'
  const TOKEN = 'https://as1.example.com/token'
  let key: GeneratedSigningKey
  let resolveKey: KeyResolver
  beforeAll(async () => {
    key = await generateSigningKey()
    resolveKey = keyResolverFromJwks({ keys: [key.publicJwk] })
  })
  const opts = (over: Record<string, unknown> = {}) => ({
    clientId: CLIENT,
    audience: [ISSUER, TOKEN],
    resolveKey,
    now: NOW,
    replay: createMemoryReplayStore(() => NOW),
    ...over,
  })
  const claims = (over: Record<string, unknown> = {}) => ({
    iss: CLIENT,
    sub: CLIENT,
    aud: TOKEN,
    iat: NOW,
    exp: NOW + 60,
    jti: 'ca-1',
    ...over,
  })
  const signRaw = (
    c: Record<string, unknown>,
    header: Record<string, unknown> = { typ: CLIENT_ASSERTION_TYP },
  ) => rawJws({ alg: 'ES256', kid: key.kid, ...header }, c, key.privateJwk)

  it('round-trips with the token endpoint or the issuer as audience', async () => {
    for (const audience of [TOKEN, ISSUER]) {
      const jws = await createClientAssertion({ clientId: CLIENT, audience, key, now: NOW })
      const r = await verifyClientAssertion(jws, opts())
      expect(r.clientId).toBe(CLIENT)
      expect(r.exp).toBe(NOW + 60)
    }
  })
  it('accepts typ JWT or no typ (RFC 7523 predates explicit typing), refuses other typs', async () => {
    await verifyClientAssertion(await signRaw(claims({ jti: 'a' }), { typ: 'JWT' }), opts())
    await verifyClientAssertion(await signRaw(claims({ jti: 'b' }), {}), opts())
    await expectCode(verifyClientAssertion(await signRaw(claims(), { typ: 'at+jwt' }), opts()), 'wrong_typ')
  })
  it('refuses a replayed jti', async () => {
    const replay = createMemoryReplayStore(() => NOW)
    const jws = await createClientAssertion({ clientId: CLIENT, audience: TOKEN, key, now: NOW })
    await verifyClientAssertion(jws, opts({ replay }))
    await expectCode(verifyClientAssertion(jws, opts({ replay })), 'replayed')
  })
  it('refuses iss or sub other than the client_id, and a foreign audience', async () => {
    await expectCode(verifyClientAssertion(await signRaw(claims({ iss: 'evil' })), opts()), 'wrong_issuer')
    await expectCode(verifyClientAssertion(await signRaw(claims({ sub: 'evil' })), opts()), 'invalid_jwt')
    await expectCode(
      verifyClientAssertion(await signRaw(claims({ aud: 'https://as2.example.net/token' })), opts()),
      'wrong_audience',
    )
  })
  it('refuses a missing or far exp, an expired assertion, a missing jti', async () => {
    const noExp = claims()
    delete (noExp as Record<string, unknown>).exp
    await expectCode(verifyClientAssertion(await signRaw(noExp), opts()), 'invalid_jwt')
    await expectCode(verifyClientAssertion(await signRaw(claims({ exp: NOW + 3600 })), opts()), 'invalid_jwt')
    await expectCode(verifyClientAssertion(await signRaw(claims({ exp: NOW - 120 })), opts()), 'expired')
    const noJti = claims()
    delete (noJti as Record<string, unknown>).jti
    await expectCode(verifyClientAssertion(await signRaw(noJti), opts()), 'invalid_jwt')
    await expectCode(
      createClientAssertion({ clientId: CLIENT, audience: TOKEN, key, now: NOW, lifetimeSeconds: 301 }),
      'invalid_jwt',
    )
  })
  it('refuses tampering, alg none, HS256 and an unknown key', async () => {
    const jws = await createClientAssertion({ clientId: CLIENT, audience: TOKEN, key, now: NOW })
    await expectCode(verifyClientAssertion(tamper(jws), opts()), 'invalid_signature')
    await expectCode(
      verifyClientAssertion(await rawJws({ alg: 'none', kid: key.kid }, claims(), null), opts()),
      'alg_not_allowed',
    )
    await expectCode(
      verifyClientAssertion(hs256({ kid: key.kid }, claims(), 'secret'), opts()),
      'alg_not_allowed',
    )
    const other = await generateSigningKey()
    const foreign = await createClientAssertion({ clientId: CLIENT, audience: TOKEN, key: other, now: NOW })
    await expectCode(verifyClientAssertion(foreign, opts()), 'unknown_key')
  })
})
