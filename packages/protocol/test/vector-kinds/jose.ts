import type { JWK } from 'jose'
import { expect } from 'vitest'
import { ProtocolError } from '../../src/errors.ts'
import {
  accessTokenHash,
  createMemoryReplayStore,
  jwkThumbprint,
  keyResolverFromJwks,
  normalizeHtu,
  pkceChallengeS256,
  verifyAccessToken,
  verifyClientAssertion,
  verifyDpopProof,
  verifyFetchToken,
  verifyHopAssertion,
} from '../../src/jose/index.ts'

// biome-ignore lint/suspicious/noExplicitAny: vectors are language-neutral JSON, checked field by field
type Vector = { name: string; input: any; expected: any }

/** Runs `fn`; when the vector expects `{ error }`, requires a ProtocolError with exactly that code. */
async function outcome(vector: Vector, fn: () => unknown): Promise<unknown> {
  if (vector.expected.error === undefined) return fn()
  let error: unknown
  try {
    await fn()
  } catch (e) {
    error = e
  }
  expect(error, `${vector.name}: expected error ${vector.expected.error}`).toBeInstanceOf(ProtocolError)
  expect((error as ProtocolError).code, `${vector.name}: ${(error as Error).message}`).toBe(
    vector.expected.error,
  )
  return undefined
}

/** Runners for the vector kinds of src/jose (files test-vectors/{pkce,thumbprints,dpop*,tokens,client-assertion}.json). */
export const joseKinds: Record<string, (vector: Vector) => void | Promise<void>> = {
  'pkce-s256': async (v) => {
    const challenge = await outcome(v, () => pkceChallengeS256(v.input.verifier))
    if (!v.expected.error) expect(challenge, v.name).toBe(v.expected.challenge)
  },

  'jwk-thumbprint': async (v) => {
    expect(await jwkThumbprint(v.input.jwk as JWK), v.name).toBe(v.expected.thumbprint)
  },

  'dpop-ath': (v) => {
    expect(accessTokenHash(v.input.accessToken), v.name).toBe(v.expected.ath)
  },

  'dpop-htu': async (v) => {
    const htu = await outcome(v, () => normalizeHtu(v.input.url))
    if (!v.expected.error) expect(htu, v.name).toBe(v.expected.htu)
  },

  'dpop-proof': async (v) => {
    const { proof, presentTwice, ...options } = v.input
    const replay = createMemoryReplayStore(() => options.now)
    const result = await outcome(v, async () => {
      const first = await verifyDpopProof(proof, { ...options, replay })
      return presentTwice ? verifyDpopProof(proof, { ...options, replay }) : first
    })
    if (!v.expected.error)
      expect(result, v.name).toMatchObject({ jkt: v.expected.jkt, claims: v.expected.claims })
  },

  token: async (v) => {
    const { kind, jws, jwks, ...rest } = v.input
    const resolveKey = keyResolverFromJwks(jwks)
    const verify = {
      'hop-assertion': () => verifyHopAssertion(jws, { resolveKey, ...rest }),
      'access-token': () => verifyAccessToken(jws, { resolveKey, ...rest }),
      'fetch-token': () => verifyFetchToken(jws, { resolveKey, ...rest }),
    }[kind as 'hop-assertion' | 'access-token' | 'fetch-token']
    expect(verify, `${v.name}: unknown token kind ${kind}`).toBeTypeOf('function')
    const result = await outcome(v, verify)
    if (!v.expected.error) {
      expect(result, v.name).toMatchObject({ header: v.expected.header })
      expect((result as { claims: unknown }).claims, v.name).toEqual(v.expected.claims)
    }
  },

  'client-assertion': async (v) => {
    const { jws, jwks, presentTwice, ...rest } = v.input
    const options = {
      ...rest,
      resolveKey: keyResolverFromJwks(jwks),
      replay: createMemoryReplayStore(() => rest.now),
    }
    const result = await outcome(v, async () => {
      const first = await verifyClientAssertion(jws, options)
      return presentTwice ? verifyClientAssertion(jws, options) : first
    })
    if (!v.expected.error) expect(result, v.name).toEqual(v.expected)
  },
}
