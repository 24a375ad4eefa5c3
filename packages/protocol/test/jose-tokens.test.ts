import { beforeAll, describe, expect, it } from 'vitest'
import {
  ACCESS_TOKEN_TYP,
  algForJwk,
  FETCH_TOKEN_TYP,
  type GeneratedSigningKey,
  generateSigningKey,
  HOP_ASSERTION_TYP,
  jwkThumbprint,
  type KeyResolver,
  keyResolverFromJwks,
  signAccessToken,
  signFetchToken,
  signHopAssertion,
  signingKeyFromJwk,
  toPublicJwk,
  verifyAccessToken,
  verifyFetchToken,
  verifyHopAssertion,
} from '../src/jose/index.ts'
import { expectCode, hs256, rawJws, tamper } from './jose-helpers.ts'

const NOW = 1_734_900_575 // Sun, 22 Dec 2024 20:49:35 +0000
const ISS = 'https://as1.example.com'
const JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I'
const EHT = 'tKKw0-Munn-PQKcmE_nuF32eziwCS0FBtUz_f3Mva5E'

const hopClaims = (over: Record<string, unknown> = {}) => ({
  iss: ISS,
  sub: 'alice@example.com',
  azp: 'mta.example.com',
  cnf: { jkt: JKT },
  eh: { eht: EHT, ehl: ['Message-ID', 'From', 'Recipients-Digest', 'Body-Digest'] },
  iat: NOW,
  exp: NOW + 6 * 86400,
  jti: 'hop-1',
  ...over,
})

let es: GeneratedSigningKey
let ed: GeneratedSigningKey
let rs: GeneratedSigningKey
let other: GeneratedSigningKey
let resolveKey: KeyResolver

beforeAll(async () => {
  ;[es, ed, rs, other] = await Promise.all([
    generateSigningKey('ES256'),
    generateSigningKey('EdDSA'),
    generateSigningKey('RS256'),
    generateSigningKey('ES256'),
  ])
  resolveKey = keyResolverFromJwks({ keys: [es.publicJwk, ed.publicJwk, rs.publicJwk] })
})

describe('generateSigningKey', () => {
  it('derives kid from the RFC 7638 thumbprint and publishes only public members', async () => {
    for (const k of [es, ed, rs]) {
      expect(k.kid).toBe(await jwkThumbprint(k.publicJwk))
      expect(k.publicJwk).toMatchObject({ kid: k.kid, alg: k.alg, use: 'sig' })
      for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k.publicJwk).not.toHaveProperty(m)
      expect(k.privateJwk).toHaveProperty('d')
    }
  })
  it('refuses an algorithm outside the allow-list', async () => {
    await expectCode(generateSigningKey('HS256' as never), 'alg_not_allowed')
  })
})

describe('hop assertion', () => {
  it.each(['ES256', 'EdDSA', 'RS256'] as const)(
    'round-trips with %s and adds scope internet_mail',
    async (alg) => {
      const key = { ES256: es, EdDSA: ed, RS256: rs }[alg]
      const jws = await signHopAssertion(hopClaims(), key)
      const { header, claims } = await verifyHopAssertion(jws, { resolveKey, now: NOW + 10, issuer: ISS })
      expect(header).toMatchObject({ alg, typ: HOP_ASSERTION_TYP, kid: key.kid })
      expect(claims).toEqual({ ...hopClaims(), scope: 'internet_mail' })
    },
  )

  it('rejects a tampered payload', async () => {
    const jws = await signHopAssertion(hopClaims(), es)
    await expectCode(verifyHopAssertion(tamper(jws), { resolveKey, now: NOW }), 'invalid_signature')
  })

  it('rejects a signature by a key that is not the kid it names', async () => {
    const jws = await signHopAssertion(hopClaims(), { ...other, kid: es.kid })
    await expectCode(verifyHopAssertion(jws, { resolveKey, now: NOW }), 'invalid_signature')
  })

  it('rejects an unknown kid', async () => {
    const jws = await signHopAssertion(hopClaims(), other)
    const e = await expectCode(verifyHopAssertion(jws, { resolveKey, now: NOW }), 'unknown_key')
    expect(e.message).toContain(other.kid)
  })

  it('rejects a missing kid', async () => {
    const jws = await rawJws({ alg: 'ES256', typ: HOP_ASSERTION_TYP }, hopClaims(), es.privateJwk)
    await expectCode(verifyHopAssertion(jws, { resolveKey, now: NOW }), 'missing_kid')
  })

  it('rejects alg none and HS256', async () => {
    const none = await rawJws({ alg: 'none', typ: HOP_ASSERTION_TYP, kid: es.kid }, hopClaims(), null)
    await expectCode(verifyHopAssertion(none, { resolveKey, now: NOW }), 'alg_not_allowed')
    const hmac = hs256({ typ: HOP_ASSERTION_TYP, kid: es.kid }, hopClaims(), JSON.stringify(es.publicJwk))
    await expectCode(verifyHopAssertion(hmac, { resolveKey, now: NOW }), 'alg_not_allowed')
  })

  it('rejects every other token kind presented as a hop assertion (wrong typ)', async () => {
    for (const typ of [ACCESS_TOKEN_TYP, FETCH_TOKEN_TYP, 'JWT', 'dpop+jwt']) {
      const jws = await rawJws({ alg: 'ES256', typ, kid: es.kid }, hopClaims(), es.privateJwk)
      await expectCode(verifyHopAssertion(jws, { resolveKey, now: NOW }), 'wrong_typ')
    }
    const untyped = await rawJws({ alg: 'ES256', kid: es.kid }, hopClaims(), es.privateJwk)
    await expectCode(verifyHopAssertion(untyped, { resolveKey, now: NOW }), 'wrong_typ')
  })

  it('rejects an expired assertion unless re-verifying history (checkExpiry false)', async () => {
    const jws = await signHopAssertion(hopClaims(), es)
    const later = NOW + 7 * 86400
    await expectCode(verifyHopAssertion(jws, { resolveKey, now: later }), 'expired')
    const { claims } = await verifyHopAssertion(jws, { resolveKey, now: later, checkExpiry: false })
    expect(claims.jti).toBe('hop-1')
    // History mode still checks the signature.
    await expectCode(
      verifyHopAssertion(tamper(jws), { resolveKey, now: later, checkExpiry: false }),
      'invalid_signature',
    )
  })

  it('rejects an iat in the future, even when re-verifying history', async () => {
    const jws = await signHopAssertion(hopClaims({ iat: NOW + 600, exp: NOW + 6000 }), es)
    await expectCode(verifyHopAssertion(jws, { resolveKey, now: NOW }), 'not_yet_valid')
    await expectCode(verifyHopAssertion(jws, { resolveKey, now: NOW, checkExpiry: false }), 'not_yet_valid')
  })

  it('rejects the wrong issuer', async () => {
    const jws = await signHopAssertion(hopClaims(), es)
    await expectCode(
      verifyHopAssertion(jws, { resolveKey, now: NOW, issuer: 'https://as2.example.net' }),
      'wrong_issuer',
    )
  })

  it('rejects missing or malformed claims, when signing and when verifying', async () => {
    for (const drop of ['azp', 'sub', 'cnf', 'eh', 'jti']) {
      const claims: Record<string, unknown> = { ...hopClaims(), scope: 'internet_mail' }
      delete claims[drop]
      const jws = await rawJws({ alg: 'ES256', typ: HOP_ASSERTION_TYP, kid: es.kid }, claims, es.privateJwk)
      const e = await expectCode(verifyHopAssertion(jws, { resolveKey, now: NOW }), 'invalid_jwt')
      expect(e.message).toContain(drop)
    }
    const wrongScope = await rawJws(
      { alg: 'ES256', typ: HOP_ASSERTION_TYP, kid: es.kid },
      { ...hopClaims(), scope: 'openid' },
      es.privateJwk,
    )
    await expectCode(verifyHopAssertion(wrongScope, { resolveKey, now: NOW }), 'invalid_jwt')
    await expectCode(signHopAssertion(hopClaims({ eh: { eht: 'short', ehl: ['From'] } }), es), 'invalid_jwt')
    await expectCode(signHopAssertion(hopClaims({ cnf: { jkt: 'x' } }), es), 'invalid_jwt')
    await expectCode(signHopAssertion(hopClaims({ exp: NOW }), es), 'invalid_jwt')
  })

  it('rejects input that is not a compact JWS', async () => {
    for (const bad of ['', 'a.b', 'not a jwt', '!!.??.**', `${'a'.repeat(10)}.b.c.d`]) {
      await expectCode(verifyHopAssertion(bad, { resolveKey, now: NOW }), 'invalid_jwt')
    }
  })

  it('wraps a resolver failure as unknown_key', async () => {
    const jws = await signHopAssertion(hopClaims(), es)
    const failing: KeyResolver = async () => {
      throw new Error('JWKS unreachable')
    }
    await expectCode(verifyHopAssertion(jws, { resolveKey: failing, now: NOW }), 'unknown_key')
  })
})

describe('access token (RFC 9068)', () => {
  const at = (over: Record<string, unknown> = {}) => ({
    iss: ISS,
    sub: 'alice@example.com',
    email: 'alice@example.com',
    aud: 'https://mail.example.com',
    client_id: 'webmail',
    scope: 'openid mail',
    iat: NOW,
    exp: NOW + 600,
    jti: 'at-1',
    ...over,
  })
  const opts = () => ({ resolveKey, now: NOW + 1, issuer: ISS, audience: 'https://mail.example.com' })

  it('round-trips', async () => {
    const jws = await signAccessToken(at(), es)
    const { header, claims } = await verifyAccessToken(jws, opts())
    expect(header.typ).toBe('at+jwt')
    expect(claims).toEqual(at())
  })
  it('accepts the application/ prefix of typ (RFC 7515 §4.1.9)', async () => {
    const jws = await rawJws({ alg: 'ES256', typ: 'application/at+JWT', kid: es.kid }, at(), es.privateJwk)
    await expect(verifyAccessToken(jws, opts())).resolves.toBeTruthy()
  })
  it('rejects the wrong audience, issuer, an expired token and a hop assertion', async () => {
    const jws = await signAccessToken(at(), es)
    await expectCode(
      verifyAccessToken(jws, { ...opts(), audience: 'https://other.example' }),
      'wrong_audience',
    )
    await expectCode(verifyAccessToken(jws, { ...opts(), issuer: 'https://evil.example' }), 'wrong_issuer')
    await expectCode(verifyAccessToken(jws, { ...opts(), now: NOW + 3600 }), 'expired')
    const hop = await signHopAssertion(hopClaims(), es)
    await expectCode(verifyAccessToken(hop, opts()), 'wrong_typ')
  })
  it('rejects a token without email or client_id', async () => {
    for (const drop of ['email', 'client_id']) {
      const claims: Record<string, unknown> = at()
      delete claims[drop]
      const jws = await rawJws({ alg: 'ES256', typ: ACCESS_TOKEN_TYP, kid: es.kid }, claims, es.privateJwk)
      await expectCode(verifyAccessToken(jws, opts()), 'invalid_jwt')
    }
  })
})

describe('fetch token', () => {
  const ft = (over: Record<string, unknown> = {}) => ({
    iss: 'https://as2.example.net',
    azp: 'mta.example.net',
    aud: 'https://example.com/rs1',
    message_id: '<b07d0cdf-c6f4-4f67-b24c-cc847a4c2df4@example.com>',
    cnf: { jkt: JKT },
    iat: NOW,
    exp: NOW + 3600,
    jti: 'ft-1',
    ...over,
  })
  const opts = () => ({ resolveKey, now: NOW, audience: 'https://example.com/rs1' })

  it('round-trips with EdDSA', async () => {
    const jws = await signFetchToken(ft(), ed)
    const { claims, header } = await verifyFetchToken(jws, { ...opts(), issuer: 'https://as2.example.net' })
    expect(header.typ).toBe(FETCH_TOKEN_TYP)
    expect(claims).toEqual({ ...ft(), scope: 'internet_mail' })
  })
  it('refuses a lifetime over one hour, when signing and when verifying', async () => {
    await expectCode(signFetchToken(ft({ exp: NOW + 3601 }), es), 'invalid_jwt')
    const long = await rawJws(
      { alg: 'ES256', typ: FETCH_TOKEN_TYP, kid: es.kid },
      { ...ft({ exp: NOW + 7200 }), scope: 'internet_mail' },
      es.privateJwk,
    )
    const e = await expectCode(verifyFetchToken(long, opts()), 'invalid_jwt')
    expect(e.message).toContain('one hour')
  })
  it('rejects another origin (aud), an expired token and a hop assertion', async () => {
    const jws = await signFetchToken(ft(), es)
    await expectCode(verifyFetchToken(jws, { ...opts(), audience: 'https://example.org' }), 'wrong_audience')
    await expectCode(verifyFetchToken(jws, { ...opts(), now: NOW + 3700 }), 'expired')
    const hop = await signHopAssertion(hopClaims(), es)
    await expectCode(verifyFetchToken(hop, opts()), 'wrong_typ')
  })
  it('rejects a fetch token without message_id', async () => {
    const claims: Record<string, unknown> = { ...ft(), scope: 'internet_mail' }
    delete claims.message_id
    const jws = await rawJws({ alg: 'ES256', typ: FETCH_TOKEN_TYP, kid: es.kid }, claims, es.privateJwk)
    await expectCode(verifyFetchToken(jws, opts()), 'invalid_jwt')
  })
})

describe('key helpers', () => {
  it('keyResolverFromJwks skips keys for another alg or use, and strips private members', async () => {
    const header = { alg: 'ES256' as const, kid: es.kid }
    await expectCode(
      keyResolverFromJwks({ keys: [{ ...es.publicJwk, alg: 'RS256' }] })(header),
      'unknown_key',
    )
    await expectCode(keyResolverFromJwks({ keys: [{ ...es.publicJwk, use: 'enc' }] })(header), 'unknown_key')
    const resolved = await keyResolverFromJwks({ keys: [es.privateJwk] })(header)
    expect(resolved).not.toHaveProperty('d')
  })
  it('signingKeyFromJwk reads a stored private JWK, and refuses a public one', async () => {
    const { kid: _kid, ...noKid } = rs.privateJwk
    const key = await signingKeyFromJwk(noKid)
    expect(key).toMatchObject({ kid: rs.kid, alg: 'RS256' })
    const jws = await signHopAssertion(hopClaims(), key)
    await expect(verifyHopAssertion(jws, { resolveKey, now: NOW })).resolves.toBeTruthy()
    await expectCode(signingKeyFromJwk(rs.publicJwk), 'invalid_jwt')
  })
  it('algForJwk infers the alg and refuses keys outside the allow-list', async () => {
    expect(algForJwk({ kty: 'EC', crv: 'P-256' })).toBe('ES256')
    expect(algForJwk({ kty: 'OKP', crv: 'Ed25519' })).toBe('EdDSA')
    expect(algForJwk({ kty: 'RSA' })).toBe('RS256')
    await expectCode(() => algForJwk({ kty: 'EC', crv: 'P-384' }), 'alg_not_allowed')
    await expectCode(() => algForJwk({ kty: 'oct', alg: 'HS256' }), 'alg_not_allowed')
    await expectCode(() => toPublicJwk({ kty: 'oct', k: 'c2VjcmV0' }), 'invalid_jwt')
  })
})
