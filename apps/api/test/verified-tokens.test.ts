import { randomUUID } from 'node:crypto'
import {
  generatePrivateJwk,
  type KeyResolver,
  ProtocolError,
  signAccessToken,
  WindowedKey,
} from '@federizer/protocol'
import { importJWK, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { VerifiedTokens } from '../src/verified-tokens.ts'

const ISS = 'https://as.example.com'
const AUD = 'https://mail.example.com'
const T0 = 1_800_000_000

async function keyPair() {
  const priv = generatePrivateJwk('ES256')
  const { d: _d, ...pub } = priv
  return {
    kid: randomUUID(),
    privateKey: (await importJWK(priv, 'ES256')) as CryptoKey,
    publicKey: (await importJWK(pub as JWK, 'ES256')) as CryptoKey,
  }
}

function token(key: Awaited<ReturnType<typeof keyPair>>, overrides: Record<string, unknown> = {}) {
  return signAccessToken(
    {
      iss: ISS,
      sub: 'ann@example.com',
      email: 'ann@example.com',
      aud: AUD,
      client_id: 'webmail.example.com',
      scope: 'openid mail',
      iat: T0,
      exp: T0 + 900,
      jti: randomUUID(),
      ...overrides,
    },
    { kid: key.kid, alg: 'ES256', privateKey: key.privateKey },
  )
}

/** A resolver over a set of published keys that counts its calls; `window` makes them WindowedKeys. */
function resolver(published: Map<string, { publicKey: unknown; from?: number; until?: number }>) {
  const calls = { n: 0 }
  const resolve: KeyResolver = async (header) => {
    calls.n++
    const k = published.get(header.kid)
    if (!k) throw new ProtocolError('unknown_key', `no key ${header.kid}`)
    return k.from === undefined
      ? (k.publicKey as CryptoKey)
      : new WindowedKey(k.publicKey as CryptoKey, k.from, k.until)
  }
  return { resolve, calls }
}

const at = (now: number) => ({ now, issuer: ISS, audience: AUD })

describe('VerifiedTokens', () => {
  it('verifies a token once, then takes it from memory while its key still resolves', async () => {
    const key = await keyPair()
    const { resolve } = resolver(new Map([[key.kid, { publicKey: key.publicKey }]]))
    const tokens = new VerifiedTokens(resolve)
    const jws = await token(key)
    const first = await tokens.verify(jws, at(T0 + 10))
    const second = await tokens.verify(jws, at(T0 + 20))
    expect(second).toBe(first)
    expect(second.claims.email).toBe('ann@example.com')
  })

  it('refuses a tampered token even when the genuine one is kept', async () => {
    const key = await keyPair()
    const tokens = new VerifiedTokens(resolver(new Map([[key.kid, { publicKey: key.publicKey }]])).resolve)
    const jws = await token(key)
    await tokens.verify(jws, at(T0))
    const [h, p, s] = jws.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, email: 'eve@example.com', sub: 'eve@example.com' })).toString('base64url')}.${s}`
    await expect(tokens.verify(forged, at(T0))).rejects.toMatchObject({ code: 'invalid_signature' })
  })

  it('stops a kept token once it expires, the same as a full verify', async () => {
    const key = await keyPair()
    const tokens = new VerifiedTokens(resolver(new Map([[key.kid, { publicKey: key.publicKey }]])).resolve)
    const jws = await token(key)
    await tokens.verify(jws, at(T0))
    // Within the 60 s clock tolerance a full verify still accepts it; after that it is expired.
    await expect(tokens.verify(jws, at(T0 + 900 + 30))).resolves.toBeDefined()
    await expect(tokens.verify(jws, at(T0 + 900 + 61))).rejects.toMatchObject({ code: 'expired' })
  })

  it('stops a kept token at once when its key is taken out of the JWKS', async () => {
    const key = await keyPair()
    const published = new Map([[key.kid, { publicKey: key.publicKey }]])
    const tokens = new VerifiedTokens(resolver(published).resolve)
    const jws = await token(key)
    await tokens.verify(jws, at(T0))
    published.delete(key.kid)
    await expect(tokens.verify(jws, at(T0 + 1))).rejects.toMatchObject({ code: 'unknown_key' })
  })

  it('re-checks a kept token when its key changes or is retired back to before it was issued', async () => {
    const key = await keyPair()
    const other = await keyPair()
    const published = new Map<string, { publicKey: unknown; from?: number; until?: number }>([
      [key.kid, { publicKey: key.publicKey, from: T0 - 100 }],
    ])
    const tokens = new VerifiedTokens(resolver(published).resolve)
    const jws = await token(key)
    await tokens.verify(jws, at(T0))
    // Another key under the same kid: the signature no longer verifies.
    published.set(key.kid, { publicKey: other.publicKey, from: T0 - 100 })
    await expect(tokens.verify(jws, at(T0 + 1))).rejects.toMatchObject({ code: 'invalid_signature' })
    // The right key again, but retired before the token's iat (beyond the tolerance).
    published.set(key.kid, { publicKey: key.publicKey, from: T0 - 100, until: T0 - 90 })
    await expect(tokens.verify(jws, at(T0 + 2))).rejects.toMatchObject({ code: 'key_not_valid' })
  })

  it('keeps nothing for a token that fails', async () => {
    const key = await keyPair()
    const { resolve, calls } = resolver(new Map([[key.kid, { publicKey: key.publicKey }]]))
    const tokens = new VerifiedTokens(resolve)
    const wrongAudience = await token(key, { aud: 'https://elsewhere.example' })
    await expect(tokens.verify(wrongAudience, at(T0))).rejects.toBeInstanceOf(ProtocolError)
    await expect(tokens.verify(wrongAudience, at(T0))).rejects.toBeInstanceOf(ProtocolError)
    // Each attempt went through the resolver and the whole verification again.
    expect(calls.n).toBe(2)
  })
})
