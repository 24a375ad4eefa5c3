import { createHmac } from 'node:crypto'
import { decodeJwt, type JWK } from 'jose'
import { expect } from 'vitest'
import {
  bodyDigest,
  canonicalRecipients,
  digest,
  digestStream,
  ehHeaders,
  ehThumbprint,
  jcs,
  jwtAssertionDigest,
  recipientsDigest,
} from '../../src/digest/index.ts'
import { choosePushed, verifyChain, verifyPushed } from '../../src/envelope/index.ts'
import { ProtocolError } from '../../src/errors.ts'
import { keyResolverFromJwks, signingKeyFromJwk, toPublicJwk } from '../../src/jose/keys.ts'
import {
  type Header,
  type PlaceholderMessage,
  parseMessageJson,
  parseMessageYaml,
  serializeMessageJson,
  serializeMessageYaml,
} from '../../src/message/index.ts'

// biome-ignore lint/suspicious/noExplicitAny: vectors are language-neutral JSON, checked field by field
type Vector = { name: string; input: any; expected: any }

/** Runs `fn`; when the vector expects `{ error }`, requires a ProtocolError with exactly that code. */
async function outcome<T>(v: Vector, fn: () => T | Promise<T>): Promise<T | undefined> {
  if (v.expected.error === undefined) return fn()
  let error: unknown
  try {
    await fn()
  } catch (e) {
    error = e
  }
  expect(error, `${v.name}: expected error ${v.expected.error}`).toBeInstanceOf(ProtocolError)
  expect((error as ProtocolError).code, (error as Error).message).toBe(v.expected.error)
  return undefined
}

const bytesOf = (input: { utf8?: string; base64?: string }) =>
  input.utf8 !== undefined
    ? new TextEncoder().encode(input.utf8)
    : new Uint8Array(Buffer.from(input.base64 ?? '', 'base64'))

/** Runners for the message, digest and chain vector kinds (test-vectors/{digests,messages,chain}-*.json). */
export const messageKinds: Record<string, (vector: Vector) => void | Promise<void>> = {
  'push-resources': async (v) => {
    const message = parseMessageJson(v.input.placeholder)
    if (v.input.op === 'choose') {
      expect(choosePushed(message, v.input.budget).map((r) => r.contentId)).toEqual(v.expected.pushed)
      return
    }
    const verified = await outcome(v, () => verifyPushed(message, v.input.resources, v.input.maxBytes))
    if (verified) expect([...verified.keys()]).toEqual(v.expected.verified)
  },
  'content-id': async (v) => {
    const bytes = bytesOf(v.input)
    expect(digest(bytes)).toBe(v.expected.contentId)
    expect(bytes.length).toBe(v.expected.size)
    // The streaming helper agrees, with the bytes cut in uneven chunks.
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 1000) yield bytes.subarray(i, i + 1000)
    }
    expect(await digestStream(chunks())).toEqual({ contentId: v.expected.contentId, size: v.expected.size })
  },
  jcs: async (v) => {
    const text = await outcome(v, () => jcs(v.input.value))
    if (text === undefined) return
    expect(text).toBe(v.expected.jcs)
    expect(digest(text)).toBe(v.expected.digest)
  },
  'body-digest': (v) => {
    expect(jcs(v.input.parts)).toBe(v.expected.jcs)
    expect(bodyDigest(v.input.parts)).toBe(v.expected.digest)
  },
  'recipients-digest': async (v) => {
    const key = v.input.key === undefined ? undefined : Buffer.from(v.input.key, 'base64url')
    const d = await outcome(v, () => recipientsDigest(v.input.addresses, key))
    if (d === undefined) return
    expect(canonicalRecipients(v.input.addresses).join('\n')).toBe(v.expected.canonical)
    expect(d).toBe(v.expected.digest)
    expect(d).toBe(
      key === undefined
        ? digest(v.expected.canonical)
        : createHmac('sha256', key).update(v.expected.canonical).digest('base64url'),
    )
  },
  eht: async (v) => {
    const eht = await outcome(v, () => ehThumbprint(v.input.headers, v.input.ehl))
    if (eht === undefined) return
    expect(ehHeaders(v.input.headers, v.input.ehl)).toEqual(v.expected.pairs)
    expect(eht).toBe(v.expected.eht)
    expect(eht).toBe(digest(jcs(v.expected.pairs)))
  },
  'jwt-assertion-digest': async (v) => {
    const d = await outcome(v, () => jwtAssertionDigest(v.input.jws))
    if (d !== undefined) expect(d).toBe(v.expected.digest)
  },
  'message-codec': (v) => {
    const m = parseMessageJson(v.input.json)
    expect(serializeMessageYaml(m)).toBe(v.expected.yaml)
    expect(parseMessageYaml(v.expected.yaml)).toEqual(m)
    expect(serializeMessageJson(parseMessageYaml(v.expected.yaml))).toBe(JSON.stringify(v.input.json))
  },
  'message-invalid': async (v) => {
    await outcome(v, () => {
      if (v.input.yaml !== undefined) return parseMessageYaml(v.input.yaml)
      return parseMessageJson(v.input.text !== undefined ? v.input.text : v.input.json)
    })
  },
  chain: async (v) => {
    if (v.input.privateJwks) {
      // The fixed keys: their kids are their RFC 7638 thumbprints and they verify the stored JWS.
      const keys = Object.values(v.input.privateJwks) as JWK[]
      expect((await Promise.all(keys.map(signingKeyFromJwk))).map((k) => k.kid)).toEqual(v.expected.kids)
      expect((v.input.jws as string[]).map(jwtAssertionDigest)).toEqual(v.expected.assertionDigests)
      const issuers = Object.values(v.input.issuers) as string[]
      for (const [i, jws] of (v.input.jws as string[]).entries()) {
        expect(decodeJwt(jws).iss).toBe(issuers[i])
        expect(toPublicJwk(keys[i]!).kid).toBe(v.expected.kids[i])
      }
      return
    }
    const m: PlaceholderMessage = parseMessageJson(v.input.message)
    const jwks = v.input.jwks as Record<string, { keys: JWK[] }>
    const result = await verifyChain(m, {
      resolveKey: (iss) => keyResolverFromJwks(jwks[iss] ?? { keys: [] }),
      now: v.input.now,
      lastHopMustBeFresh: v.input.lastHopMustBeFresh,
    })
    expect(result.ok).toBe(v.expected.ok)
    expect(result.hops.map(({ reason: _r, ...h }) => h)).toEqual(v.expected.hops)
    if (v.expected.eh) {
      // Recompute every eht from the block beneath its assertion, oldest hop first.
      const blocks = [...m.envelope].reverse()
      v.expected.eh.forEach((eh: { eht: string; ehl: string[] }, i: number) => {
        const jws = (blocks[2 * i + 1] as { 'jwt-assertion': string })['jwt-assertion']
        expect((decodeJwt(jws) as { eh: unknown }).eh).toEqual(eh)
        expect(ehThumbprint((blocks[2 * i] as { headers: Header[] }).headers, eh.ehl)).toBe(eh.eht)
      })
    }
  },
}
