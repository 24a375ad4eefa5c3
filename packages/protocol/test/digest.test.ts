import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  bodyDigest,
  canonicalRecipients,
  createDigester,
  digest,
  digestStream,
  ehHeaders,
  ehThumbprint,
  isDigest,
  jcs,
  jwtAssertionDigest,
  recipientsDigest,
} from '../src/digest/index.ts'
import type { Header } from '../src/message/index.ts'
import { expectThrowsCode } from './protocol-error.ts'

describe('digest', () => {
  it('is base64url SHA-256 without padding, 43 canonical characters', () => {
    expect(digest('')).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU')
    expect(digest('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')
    expect(digest(new TextEncoder().encode('abc'))).toBe(digest('abc'))
    expect(isDigest(digest('x'))).toBe(true)
    for (const bad of [
      '',
      'A'.repeat(42),
      'A'.repeat(44),
      `${'A'.repeat(42)}B`,
      `${'A'.repeat(42)}=`,
      `${'+'.repeat(42)}A`,
      42,
    ]) {
      expect(isDigest(bad)).toBe(false)
    }
  })
})

describe('JCS (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and serializes numbers as ECMAScript does', () => {
    // RFC 8785 §3.2.3 sorting example and §3.2.2.3 numbers.
    expect(
      jcs({
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew Letter Dalet With Dagesh',
        '1': 'One',
        '\ud83d\ude00': 'Emoji: Grinning Face',
        '\u0080': 'Control',
        '\u00f6': 'Latin Small Letter O With Diaeresis',
      }),
    ).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    )
    expect(
      jcs({
        numbers: [333333333.3333333, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
        literals: [null, true, false],
      }),
    ).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}')
  })
  it('refuses values JCS cannot represent', () => {
    expectThrowsCode(() => jcs(Number.NaN), 'malformed_json')
    expectThrowsCode(() => jcs({ a: Number.POSITIVE_INFINITY }), 'malformed_json')
    expectThrowsCode(() => jcs(undefined), 'malformed_json')
    expectThrowsCode(() => jcs(['\ud800']), 'malformed_json', /surrogate/)
  })
})

describe('message digests', () => {
  it('Body-Digest is digest(JCS(parts))', () => {
    const parts = [{ headers: [['Content-ID', '<x>'] as Header] }]
    expect(bodyDigest(parts)).toBe(digest('[{"headers":[["Content-ID","<x>"]]}]'))
  })

  it('Recipients-Digest lower-cases, de-duplicates, sorts and joins by \\n', () => {
    expect(canonicalRecipients(['Bob <BOB@Example.net>', 'alice@example.com', 'bob@example.net'])).toEqual([
      'alice@example.com',
      'bob@example.net',
    ])
    expect(recipientsDigest(['Bob <BOB@Example.net>', 'alice@example.com', 'bob@example.net'])).toBe(
      digest('alice@example.com\nbob@example.net'),
    )
    expectThrowsCode(() => recipientsDigest([]), 'invalid_address')
    expectThrowsCode(() => recipientsDigest(['not-an-address']), 'invalid_address')
  })

  it('eht covers the ehl headers in ehl order, all duplicates, names and values as they stand', () => {
    const block: Header[] = [
      ['Date', 'Sun, 22 Dec 2024 19:49:35 +0000'],
      ['from', 'Alice <alice@example.com>'],
      ['X-Tag', 'one'],
      ['Message-ID', '<1@example.com>'],
      ['x-tag', 'two'],
    ]
    expect(ehHeaders(block, ['Message-ID', 'From', 'X-Tag'])).toEqual([
      ['Message-ID', '<1@example.com>'],
      ['from', 'Alice <alice@example.com>'],
      ['X-Tag', 'one'],
      ['x-tag', 'two'],
    ])
    expect(ehThumbprint(block, ['Message-ID', 'From'])).toBe(
      digest('[["Message-ID","<1@example.com>"],["from","Alice <alice@example.com>"]]'),
    )
    expect(ehThumbprint(block, ['From', 'Message-ID'])).not.toBe(ehThumbprint(block, ['Message-ID', 'From']))
    expectThrowsCode(() => ehThumbprint(block, ['Subject']), 'invalid_chain', /no such header/)
    expectThrowsCode(() => ehThumbprint(block, ['From', 'FROM']), 'invalid_chain', /twice/)
  })

  it('JWT-Assertion-Digest is the digest of the compact JWS ASCII', () => {
    expect(jwtAssertionDigest('a.b.c')).toBe(digest('a.b.c'))
    expectThrowsCode(() => jwtAssertionDigest('a.b.c\n'), 'invalid_jwt')
  })
})

describe('streaming SHA-256', () => {
  it('equals the one-shot digest whatever the chunking', async () => {
    const data = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 7) % 256)
    const d = createDigester()
    for (let i = 0; i < data.length; i += 4099) d.update(data.subarray(i, i + 4099))
    expect(d.size).toBe(data.length)
    expect(d.digest()).toBe(digest(data))
  })

  it('hashes 64 MiB from an async source chunk by chunk', async () => {
    const chunk = new Uint8Array(1 << 20).fill(0x61)
    const expected = createHash('sha256')
    async function* source() {
      for (let i = 0; i < 64; i++) {
        expected.update(chunk)
        yield chunk
      }
    }
    const r = await digestStream(source())
    expect(r.size).toBe(64 << 20)
    expect(r.contentId).toBe(expected.digest('base64url'))
  })

  it('propagates a failing source', async () => {
    async function* broken() {
      yield new Uint8Array(1)
      throw new Error('disk gone')
    }
    await expect(digestStream(broken())).rejects.toThrow('disk gone')
  })
})
