import { generateKeyPairSync } from 'node:crypto'
import { compactVerify, importJWK, type JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { type GeneratedSigningKey, generateSigningKey, jwkThumbprint, verifyJwt } from '../src/jose/index.ts'
import { checkClaims, signCompact, thumbprintSync, verifyCompactSignature } from '../src/jose/node-jws.ts'
import { expectCode, rawJws } from './jose-helpers.ts'

// node:crypto signs and verifies (node-jws.ts); these pin that it agrees with jose both ways and that
// nothing jose refused is now accepted: a key of another type than the header's alg, a short RSA key,
// a signature of the wrong length, and jose's own claim checks.
const NOW = 1_734_900_575

let es: GeneratedSigningKey
let ed: GeneratedSigningKey
let rs: GeneratedSigningKey
beforeAll(async () => {
  ;[es, ed, rs] = await Promise.all([
    generateSigningKey('ES256'),
    generateSigningKey('EdDSA'),
    generateSigningKey('RS256'),
  ])
})

describe('node:crypto JWS', () => {
  it.each(['ES256', 'EdDSA', 'RS256'] as const)('agrees with jose both ways (%s)', async (alg) => {
    const key = { ES256: () => es, EdDSA: () => ed, RS256: () => rs }[alg]()
    const ours = signCompact({ alg, typ: 'x+jwt', kid: key.kid }, { iat: NOW, sub: 'a' }, key.privateJwk)
    const { payload } = await compactVerify(ours, await importJWK(key.publicJwk, alg))
    expect(JSON.parse(Buffer.from(payload).toString())).toEqual({ iat: NOW, sub: 'a' })
    const theirs = await rawJws({ alg, typ: 'x+jwt', kid: key.kid }, { iat: NOW }, key.privateJwk)
    expect(() => verifyCompactSignature(theirs, alg, key.publicJwk)).not.toThrow()
  })

  it('refuses a key of another type than the alg of the header (no alg confusion)', async () => {
    const jws = signCompact({ alg: 'ES256', kid: es.kid }, { iat: NOW }, es.privateJwk)
    await expectCode(() => verifyCompactSignature(jws, 'RS256', es.publicJwk), 'invalid_jwt')
    await expectCode(() => verifyCompactSignature(jws, 'EdDSA', es.publicJwk), 'invalid_jwt')
    await expectCode(() => signCompact({ alg: 'RS256' }, { iat: NOW }, es.privateJwk), 'invalid_jwt')
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey
    await expectCode(() => verifyCompactSignature(jws, 'ES256', p384), 'invalid_jwt')
  })

  it('imports a key parsed again from JSON once, and never mistakes another key for it', async () => {
    const jws = signCompact({ alg: 'ES256', kid: es.kid }, { iat: NOW }, es.privateJwk)
    // A fresh copy of the same key (a stored row, a JWKS fetched again) verifies, each time.
    for (let i = 0; i < 3; i++)
      expect(() =>
        verifyCompactSignature(jws, 'ES256', JSON.parse(JSON.stringify(es.publicJwk))),
      ).not.toThrow()
    // Another key of the same kind and curve, and the same key with one coordinate changed, do not.
    const other = await generateSigningKey('ES256')
    await expectCode(() => verifyCompactSignature(jws, 'ES256', other.publicJwk), 'invalid_signature')
    const changed = { ...es.publicJwk, y: other.publicJwk.y }
    await expectCode(() => verifyCompactSignature(jws, 'ES256', changed), 'invalid_jwt')
    // The public members of a private key import its public key; a public JWK never signs.
    const asPublic = { ...es.privateJwk }
    expect(() => verifyCompactSignature(jws, 'ES256', asPublic)).not.toThrow()
    await expectCode(
      () => signCompact({ alg: 'ES256' }, { iat: NOW }, { ...es.publicJwk } as JWK),
      'invalid_jwt',
    )
    // Signing with a copy of the private key gives a signature the original public key verifies.
    const again = signCompact({ alg: 'ES256' }, { iat: NOW }, JSON.parse(JSON.stringify(es.privateJwk)))
    expect(() => verifyCompactSignature(again, 'ES256', es.publicJwk)).not.toThrow()
  })

  it('refuses an RSA key shorter than 2048 bits (RFC 7518 §3.3)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    await expectCode(() => signCompact({ alg: 'RS256' }, { iat: NOW }, privateKey), 'invalid_jwt')
    const jws = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.e30.AAAA`
    await expectCode(() => verifyCompactSignature(jws, 'RS256', publicKey), 'invalid_jwt')
  })

  it('refuses a changed payload, a signature of the wrong length and a private key where a public one goes', async () => {
    const jws = signCompact({ alg: 'ES256', kid: es.kid }, { iat: NOW }, es.privateJwk)
    const [h, , s] = jws.split('.')
    await expectCode(
      () => verifyCompactSignature(`${h}.e30.${s}`, 'ES256', es.publicJwk),
      'invalid_signature',
    )
    await expectCode(() => verifyCompactSignature(`${jws}AA`, 'ES256', es.publicJwk), 'invalid_signature')
    await expectCode(() => signCompact({ alg: 'ES256' }, { iat: NOW }, es.publicJwk as JWK), 'invalid_jwt')
  })

  it('keeps jose’s claim checks (expiry, audience, issuer, JSON object)', async () => {
    const jws = signCompact(
      { alg: 'ES256', typ: 'x+jwt', kid: es.kid },
      { iss: 'a', aud: 'b', exp: NOW },
      es.privateJwk,
    )
    const resolveKey = async () => es.publicJwk
    const opts = { typ: 'x+jwt', resolveKey, now: NOW + 120 }
    await expectCode(verifyJwt(jws, opts), 'expired')
    await expectCode(verifyJwt(jws, { ...opts, now: NOW, audience: 'c' }), 'wrong_audience')
    await expectCode(verifyJwt(jws, { ...opts, now: NOW, issuer: 'z' }), 'wrong_issuer')
    expect((await verifyJwt(jws, { ...opts, now: NOW, issuer: 'a', audience: 'b' })).payload.iss).toBe('a')
    expect(() => checkClaims(`x.${Buffer.from('[1]').toString('base64url')}.y`, {})).toThrow(/JSON object/)
  })

  it('computes the RFC 7638 thumbprint as jose did (RFC 7638 §3.1 example)', async () => {
    const rfc = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    }
    expect(thumbprintSync(rfc)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
    expect(await jwkThumbprint(es.publicJwk)).toBe(es.kid)
    await expectCode(jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'a' }), 'invalid_jwt')
  })
})
