import jsrsasign from 'jsrsasign'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  createClientAssertion,
  createDpopKey,
  createDpopProof,
  createMemoryReplayStore,
  type DpopKey,
  type GeneratedSigningKey,
  generateSigningKey,
  jwkThumbprint,
  keyResolverFromJwks,
  signAccessToken,
  signFetchToken,
  signHopAssertion,
  verifyAccessToken,
  verifyDpopProof,
  verifyHopAssertion,
} from '../src/jose/index.ts'
import { tamper } from './jose-helpers.ts'

/**
 * Interop: tokens, proofs and thumbprints made here are checked by jsrsasign, a JOSE implementation
 * no one here wrote, and tokens jsrsasign signs are accepted here.
 */
const { KJUR, KEYUTIL } = jsrsasign
const NOW = 1_734_900_575
const ISS = 'https://example.com/as1'
const JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I'

// jsrsasign's typings are narrower than RFC 7517 JWKs and than what its functions accept.
// biome-ignore lint/suspicious/noExplicitAny: see above
const keyOf = (jwk: object): any => KEYUTIL.getKey(jwk as any)
// biome-ignore lint/suspicious/noExplicitAny: see above
const thumbprint = (jwk: object): string => KJUR.jws.JWS.getJWKthumbprint(jwk as any)

let es: GeneratedSigningKey
let rs: GeneratedSigningKey
let dpopEs: DpopKey
let dpopRs: DpopKey
beforeAll(async () => {
  ;[es, rs, dpopEs, dpopRs] = await Promise.all([
    generateSigningKey('ES256'),
    generateSigningKey('RS256'),
    createDpopKey('ES256'),
    createDpopKey('RS256'),
  ])
})

const hop = {
  iss: ISS,
  sub: 'alice@example.com',
  azp: 'mta.example.com',
  cnf: { jkt: JKT },
  eh: { eht: 'tKKw0-Munn-PQKcmE_nuF32eziwCS0FBtUz_f3Mva5E', ehl: ['Message-ID', 'From'] },
  iat: NOW,
  exp: NOW + 600,
  jti: 'interop-1',
}

describe('jsrsasign verifies what this library signs', () => {
  it.each(['ES256', 'RS256'] as const)(
    'hop assertion, access token, fetch token and client assertion (%s)',
    async (alg) => {
      const key = alg === 'ES256' ? es : rs
      const tokens = [
        await signHopAssertion(hop, key),
        await signAccessToken(
          {
            iss: ISS,
            sub: 'alice@example.com',
            email: 'alice@example.com',
            aud: 'https://example.com/api',
            client_id: 'webmail',
            scope: 'mail',
            iat: NOW,
            exp: NOW + 600,
            jti: 'at-1',
          },
          key,
        ),
        await signFetchToken(
          {
            iss: ISS,
            azp: 'mta.example.com',
            aud: 'https://example.net/rs2',
            message_id: '<m@example.com>',
            cnf: { jkt: JKT },
            iat: NOW,
            exp: NOW + 3600,
            jti: 'ft-1',
          },
          key,
        ),
        await createClientAssertion({ clientId: 'mta.example.com', audience: ISS, key, now: NOW }),
      ]
      for (const jws of tokens) {
        expect(KJUR.jws.JWS.verifyJWT(jws, keyOf(key.publicJwk), { alg: [alg], verifyAt: NOW + 1 })).toBe(
          true,
        )
        expect(KJUR.jws.JWS.verify(tamper(jws), keyOf(key.publicJwk), [alg])).toBe(false)
        const header = KJUR.jws.JWS.readSafeJSONString(
          Buffer.from(jws.split('.')[0]!, 'base64url').toString(),
        )
        expect(header).toMatchObject({ alg, kid: key.kid })
      }
      // Another key of the same type does not verify.
      const other = await generateSigningKey(alg)
      expect(KJUR.jws.JWS.verify(tokens[0]!, keyOf(other.publicJwk), [alg])).toBe(false)
    },
  )

  it.each(['ES256', 'RS256'] as const)(
    'DPoP proofs with ath and nonce (%s), with the key from the jwk header',
    async (alg) => {
      const key = alg === 'ES256' ? dpopEs : dpopRs
      const proof = await createDpopProof({
        key,
        htm: 'POST',
        htu: 'https://example.net/rs2/federizer/deliveries',
        accessToken: 'assertion',
        nonce: 'n-1',
        now: NOW,
      })
      const [h, p] = proof.split('.') as [string, string]
      const header = JSON.parse(Buffer.from(h, 'base64url').toString())
      expect(header.typ).toBe('dpop+jwt')
      expect(KJUR.jws.JWS.verify(proof, keyOf(header.jwk), [alg])).toBe(true)
      expect(thumbprint(header.jwk)).toBe(key.jkt)
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
      const ath = KJUR.crypto.Util.sha256('assertion')
      expect(claims.ath).toBe(Buffer.from(ath, 'hex').toString('base64url'))
    },
  )
})

describe('jsrsasign thumbprints agree (RFC 7638)', () => {
  it('for the RFC 7638 §3.1 RSA key, the RFC 9449 EC key and generated keys', async () => {
    const rfc7638 = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
    }
    expect(thumbprint(rfc7638)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
    expect(await jwkThumbprint(rfc7638)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
    const rfc9449 = {
      kty: 'EC',
      crv: 'P-256',
      x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs',
      y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA',
    }
    expect(thumbprint(rfc9449)).toBe(JKT)
    for (const k of [es, rs]) {
      const { kty, crv, x, y, n, e } = k.publicJwk
      const members = Object.fromEntries(
        Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined),
      )
      expect(thumbprint(members)).toBe(k.kid)
    }
  })
})

describe('this library verifies what jsrsasign signs', () => {
  it.each(['ES256', 'RS256'] as const)('a hop assertion signed by jsrsasign (%s)', async (alg) => {
    const key = alg === 'ES256' ? es : rs
    const jws = KJUR.jws.JWS.sign(
      alg,
      JSON.stringify({ alg, typ: 'fz-hop+jwt', kid: key.kid }),
      JSON.stringify({ ...hop, scope: 'internet_mail' }),
      keyOf(key.privateJwk),
    )
    const resolveKey = keyResolverFromJwks({ keys: [key.publicJwk] })
    const { claims } = await verifyHopAssertion(jws, { resolveKey, now: NOW, issuer: ISS })
    expect(claims.sub).toBe('alice@example.com')
    await expect(
      verifyAccessToken(jws, { resolveKey, now: NOW, issuer: ISS, audience: 'x' }),
    ).rejects.toMatchObject({
      code: 'wrong_typ',
    })
  })

  it('a DPoP proof signed by jsrsasign (ES256)', async () => {
    const { publicJwk, privateJwk } = dpopEs
    const { kty, crv, x, y } = publicJwk
    const proof = KJUR.jws.JWS.sign(
      'ES256',
      JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } }),
      JSON.stringify({ jti: 'js-1', htm: 'POST', htu: 'https://example.com/as1/token', iat: NOW }),
      keyOf(privateJwk),
    )
    const result = await verifyDpopProof(proof, {
      htm: 'POST',
      htu: 'https://example.com/as1/token',
      now: NOW,
      replay: createMemoryReplayStore(() => NOW),
    })
    expect(result.jkt).toBe(dpopEs.jkt)
  })
})
