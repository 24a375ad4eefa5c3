import { execFile } from 'node:child_process'
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { KEYUTIL, KJUR } from 'jsrsasign'
import { describe, expect, it } from 'vitest'
import { createDpopKey, generatePrivateJwk, generateSigningKey, jwkThumbprint } from '../src/jose/index.ts'
import { expectCode } from './jose-helpers.ts'

const run = promisify(execFile)
const here = path.dirname(fileURLToPath(import.meta.url))
const data = Buffer.from('federizer keygen')

/** Signs with the private JWK and verifies with the public members only, both through node:crypto. */
function roundTrip(alg: 'ES256' | 'EdDSA' | 'RS256'): boolean {
  const jwk = generatePrivateJwk(alg)
  const { d, p, q, dp, dq, qi, ...pub } = jwk as Record<string, string>
  const digest = alg === 'EdDSA' ? null : 'sha256'
  const signature = sign(digest, data, createPrivateKey({ key: jwk as never, format: 'jwk' }))
  return verify(digest, data, createPublicKey({ key: pub as never, format: 'jwk' }), signature)
}

describe('generatePrivateJwk (RFC 7518 §6.2, RFC 8037 §2, RFC 7518 §6.3)', () => {
  it.each(['ES256', 'EdDSA', 'RS256'] as const)(
    'makes a %s key whose public half verifies what it signs',
    (alg) => {
      expect(roundTrip(alg)).toBe(true)
    },
  )

  it('gives P-256 coordinates and scalar of 32 octets each, even when the scalar has leading zeros', () => {
    // About one scalar in 256 starts with a zero octet: 2,000 keys meet several.
    for (let i = 0; i < 2000; i++) {
      const jwk = generatePrivateJwk('ES256')
      for (const m of ['x', 'y', 'd'] as const)
        expect(Buffer.from(String(jwk[m]), 'base64url')).toHaveLength(32)
    }
  })

  it('makes an ES256 key that an independent implementation (jsrsasign) signs and verifies with', () => {
    const jwk = generatePrivateJwk('ES256')
    const { d, ...pub } = jwk
    const header = { alg: 'ES256' }
    const jws = KJUR.jws.JWS.sign('ES256', header, { sub: 'x' }, KEYUTIL.getKey(jwk as never) as never)
    expect(KJUR.jws.JWS.verify(jws, KEYUTIL.getKey(pub as never) as never, ['ES256'])).toBe(true)
  })

  it('refuses an alg outside the allow-list', async () => {
    await expectCode(() => generatePrivateJwk('HS256' as never), 'alg_not_allowed')
  })

  it('is what createDpopKey and generateSigningKey use: the thumbprint names the public key', async () => {
    const dpop = await createDpopKey()
    expect(dpop.jkt).toBe(await jwkThumbprint(dpop.publicJwk))
    expect(dpop.publicJwk).not.toHaveProperty('d')
    const signing = await generateSigningKey('EdDSA')
    expect(signing.kid).toBe(await jwkThumbprint(signing.publicJwk))
  })
})

describe('a DPoP key per message does not deadlock the process (Node 20 keygen + JWK export)', () => {
  // With the old generateKeyPairSync + export({ format: 'jwk' }), one such child hung in 6 of 8
  // runs (0.5 s of CPU, then nothing): three at once all finish by chance about once in 60 runs.
  it('makes 100,000 keys in each of three processes under a garbage collection every 100 allocations, and each exits', async () => {
    const child = () =>
      run(
        process.execPath,
        [
          '--max-semi-space-size=1',
          '--gc-interval=100',
          '--import',
          'tsx',
          path.join(here, 'fixtures/dpop-keys-loop.ts'),
          '100000',
        ],
        { timeout: 90_000, killSignal: 'SIGKILL' },
      )
    const results = await Promise.all([child(), child(), child()])
    expect(results.map((r) => r.stdout.trim())).toEqual(['100000', '100000', '100000'])
  }, 100_000)
})
