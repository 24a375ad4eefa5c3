import { readFileSync } from 'node:fs'
import jsrsasign from 'jsrsasign'
import { describe, expect, it } from 'vitest'

/**
 * Interop: the chain and digest vectors are re-checked with jsrsasign, an implementation no one here
 * wrote: its own SHA-256 (pure JavaScript, not OpenSSL) for the digests, its own ECDSA for hop 1.
 */
const { KJUR, KEYUTIL } = jsrsasign
const vectors = (file: string) =>
  JSON.parse(readFileSync(new URL(`../test-vectors/${file}`, import.meta.url), 'utf8')).vectors as Array<{
    name: string
    // biome-ignore lint/suspicious/noExplicitAny: language-neutral JSON
    input: any
    // biome-ignore lint/suspicious/noExplicitAny: language-neutral JSON
    expected: any
  }>
const hexToB64url = (hex: string) => Buffer.from(hex, 'hex').toString('base64url')
const sha256Utf8 = (s: string) => hexToB64url(KJUR.crypto.Util.sha256(s))
/** jsrsasign's own HMAC-SHA-256 (RFC 2104) of a UTF-8 string, base64url. */
const hmacUtf8 = (key: Uint8Array, s: string) => {
  const mac = new KJUR.crypto.Mac({ alg: 'hmacsha256', pass: { hex: Buffer.from(key).toString('hex') } })
  mac.updateHex(Buffer.from(s, 'utf8').toString('hex'))
  return hexToB64url(mac.doFinal())
}
const sha256Bytes = (bytes: Uint8Array) =>
  hexToB64url(KJUR.crypto.Util.hashHex(Buffer.from(bytes).toString('hex'), 'sha256'))

describe('vectors re-checked with jsrsasign', () => {
  it('Content-IDs', () => {
    for (const v of vectors('digests-content-id.json')) {
      const bytes =
        v.input.utf8 !== undefined
          ? new TextEncoder().encode(v.input.utf8)
          : Buffer.from(v.input.base64, 'base64')
      expect(sha256Bytes(bytes), v.name).toBe(v.expected.contentId)
    }
  })

  it('Body-Digests, Recipients-Digests and ehts from their canonical text', () => {
    for (const v of vectors('digests-body-digest.json'))
      expect(sha256Utf8(v.expected.jcs), v.name).toBe(v.expected.digest)
    for (const v of vectors('digests-recipients-digest.json')) {
      if (v.expected.error !== undefined) continue
      const keyed = v.input.key === undefined ? undefined : Buffer.from(v.input.key, 'base64url')
      expect(keyed ? hmacUtf8(keyed, v.expected.canonical) : sha256Utf8(v.expected.canonical), v.name).toBe(
        v.expected.digest,
      )
    }
    for (const v of vectors('digests-eht.json')) {
      // RFC 8785 of an array of string pairs is JSON.stringify here (no numbers, no objects).
      if (v.expected.error === undefined)
        expect(sha256Utf8(JSON.stringify(v.expected.pairs)), v.name).toBe(v.expected.eht)
    }
  })

  it('the hop-1 ES256 assertion of the Fig. 3 chain verifies, and its eht matches the origin block', () => {
    const [keys, , , , , bobby] = vectors('chain-two-hop.json')
    const jws1: string = keys!.input.jws[0]
    const { d: _d, ...publicJwk } = keys!.input.privateJwks.as1
    // biome-ignore lint/suspicious/noExplicitAny: jsrsasign's JWK typing is narrower than RFC 7517
    const key = KEYUTIL.getKey(publicJwk as any) as jsrsasign.KJUR.crypto.ECDSA
    expect(KJUR.jws.JWS.verify(jws1, key, ['ES256'])).toBe(true)
    const payload = JSON.parse(Buffer.from(jws1.split('.')[1]!, 'base64url').toString('utf8'))
    const envelope = bobby!.input.message.envelope as Array<{ headers?: [string, string][] }>
    const origin = envelope.at(-1)!.headers!
    // To and Cc are signed blinded: "<" + HMAC-SHA-256(Recipients-Salt bytes, value) + ">".
    const saltValue = origin.find(([h]) => h === 'Recipients-Salt')![1]
    const salt = Buffer.from(saltValue.slice(1, -1), 'base64url')
    const pairs = (payload.eh.ehl as string[]).flatMap((n) =>
      origin
        .filter(([h]) => h.toLowerCase() === n.toLowerCase())
        .map(([h, value]) =>
          ['to', 'cc'].includes(h.toLowerCase()) ? [h, `<${hmacUtf8(salt, value)}>`] : [h, value],
        ),
    )
    expect(JSON.stringify(pairs)).not.toContain('bob@example.net')
    expect(sha256Utf8(JSON.stringify(pairs))).toBe(payload.eh.eht)
    const tampered = `${jws1.slice(0, -5)}${jws1.at(-5) === 'A' ? 'B' : 'A'}${jws1.slice(-4)}`
    expect(KJUR.jws.JWS.verify(tampered, key, ['ES256'])).toBe(false)
  })
})
