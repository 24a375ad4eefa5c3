import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../src/errors.ts'
import {
  type EnvelopeBlock,
  type Header,
  LIMITS,
  type Part,
  type PlaceholderMessage,
  parseDisposition,
  parseExternalBody,
  parseMessageJson,
  parseParams,
} from '../src/message/index.ts'
import { withFreshBlocks } from '../src/message/schema.ts'
import { aliceDraft } from './fixtures/two-hop-chain.ts'
import { expectThrowsCode } from './protocol-error.ts'

const draft = aliceDraft()
const withHeaders = (...extra: Header[]): PlaceholderMessage => {
  const m = structuredClone(draft)
  ;(m.envelope[0] as { headers: Header[] }).headers.push(...extra)
  return m
}
const withNewerBlock = (...headers: Header[]): PlaceholderMessage => {
  const m = structuredClone(draft)
  m.envelope.unshift({ headers }, { 'jwt-assertion': 'a.b.c' })
  return m
}
const withParts = (...parts: Part[]): PlaceholderMessage => ({ envelope: draft.envelope, parts })
const leaf = draft.parts[1]!

describe('message rules, one negative test each', () => {
  it.each<[string, PlaceholderMessage, string, RegExp]>([
    ['a lone surrogate in a value', withHeaders(['X-A', 'a\ud800b']), 'malformed_message', /lone surrogate/],
    ['a NUL in a value', withHeaders(['X-A', 'a\u0000b']), 'malformed_message', /control character/],
    [
      'a header name over 128 characters',
      withHeaders([`X-${'a'.repeat(LIMITS.maxHeaderNameLength)}`, 'v']),
      'too_large',
      /./,
    ],
    ['an empty header name', withHeaders(['', 'v']), 'malformed_message', /empty/],
    ['the header name "<<"', withHeaders(['<<', 'v']), 'malformed_message', /reserved/],
    ['a bad In-Reply-To', withHeaders(['In-Reply-To', 'not-a-msg-id']), 'malformed_message', /In-Reply-To/],
    ['a bad X-Thread-ID', withHeaders(['X-Thread-ID', '<a b@c>']), 'malformed_message', /X-Thread-ID/],
    ['a bad References', withHeaders(['References', '<a@b> c@d']), 'malformed_message', /References/],
    [
      'two Forwarded-From mailboxes',
      withNewerBlock(['Forwarded-From', 'a@b.c, d@e.f']),
      'invalid_address',
      /one mailbox/,
    ],
    ['an empty To', withHeaders(['To', ' ']), 'invalid_address', /empty/],
    ['a malformed Received', withNewerBlock(['Received', 'from a by b']), 'malformed_message', /Received/],
    [
      'a Received with a bad date',
      withNewerBlock(['Received', 'from a.b by c.d; yesterday']),
      'malformed_message',
      /Received/,
    ],
    [
      'a bad JWT-Assertion-Digest',
      withNewerBlock(['JWT-Assertion-Digest', '<short>']),
      'invalid_digest',
      /JWT-Assertion-Digest/,
    ],
    [
      'a duplicate Received in one block',
      withNewerBlock(
        ['Received', 'from a.b by c.d; 1 Jan 2025 00:00 +0000'],
        ['Received', 'from a.b by c.d; 1 Jan 2025 00:00 +0000'],
      ),
      'malformed_message',
      /more than once/,
    ],
    [
      'a container without children',
      withParts({ headers: [['Content-Type', 'multipart/mixed']], parts: [] }),
      'malformed_message',
      /no children/,
    ],
    [
      'a container that is not multipart',
      withParts({ headers: [['Content-Type', 'text/plain']], parts: [leaf] }),
      'malformed_message',
      /multipart/,
    ],
    [
      'a leaf without Content-ID',
      withParts({ headers: leaf.headers.filter(([n]) => n !== 'Content-ID') }),
      'malformed_message',
      /one Content-ID/,
    ],
    [
      'a leaf with two Content-Types',
      withParts({ headers: [...leaf.headers, leaf.headers[2]!] }),
      'malformed_message',
      /more than once/,
    ],
    [
      'a list value outside Content-Type',
      withParts({
        headers: [...leaf.headers.slice(0, 2), ['Content-Disposition', ['a', 'b']], leaf.headers[2]!],
      }),
      'malformed_message',
      /list value/,
    ],
    [
      'an unknown key in a part',
      withParts({ ...leaf, extra: 1 } as unknown as Part),
      'malformed_message',
      /./,
    ],
    [
      'an assertion over 16 KiB',
      {
        envelope: [{ 'jwt-assertion': `a.${'b'.repeat(LIMITS.maxAssertionLength)}.c` }, ...draft.envelope],
        parts: [],
      },
      'too_large',
      /./,
    ],
  ])('refuses %s', (_what, m, code, message) => {
    expectThrowsCode(() => parseMessageJson(m), code as ProtocolError['code'], message)
  })

  it('accepts a tab in a value and keeps it', () => {
    const m = withHeaders(['X-Tab', 'a\tb'])
    expect(parseMessageJson(m)).toEqual(m)
  })
})

describe('media parameters', () => {
  it('reads tokens, double and single quotes, escapes and RFC 2231 values', () => {
    expect(parseParams('Attachment; filename="a \\"b\\".png"; size=3')).toEqual({
      value: 'attachment',
      params: { filename: 'a "b".png', size: '3' },
    })
    expect(parseParams("x/y; a='1'; b=2;")).toEqual({ value: 'x/y', params: { a: '1', b: '2' } })
    expect(parseDisposition("attachment; filename*=utf-8''%F0%9F%8C%8A.png").filename).toBe('🌊.png')
    expect(parseDisposition(undefined)).toEqual({ disposition: 'attachment' })
  })

  it.each([
    ['a parameter without "="', 'x/y; novalue', /without "="/],
    ['a bad parameter name', 'x/y; a b=c', /bad parameter name/],
    ['an unterminated quote', 'x/y; a="b', /unterminated/],
    ['junk after a quoted value', 'x/y; a="b" c; d=e', /junk/],
    ['an RFC 2231 value in another charset', "x/y; a*=iso-8859-1''%E9", /UTF-8/],
    ['bad percent-encoding', "x/y; a*=UTF-8''%E9", /percent/],
  ])('refuses %s', (_what, s, message) => {
    expectThrowsCode(() => parseParams(s), 'malformed_message', message)
  })

  it('refuses an external-body element without its size or of another type', () => {
    expectThrowsCode(
      () =>
        parseExternalBody(
          'message/external-body; access-type=x-content-addressed-uri; hash-algorithm=sha256',
        ),
      'malformed_message',
      /size/,
    )
    expectThrowsCode(
      () => parseExternalBody('text/plain; size=1'),
      'malformed_message',
      /expected message\/external-body/,
    )
    expectThrowsCode(
      () =>
        parseExternalBody(
          'message/external-body; access-type=x-content-addressed-uri; hash-algorithm=sha256; size=99999999999999999',
        ),
      'malformed_message',
      /size/,
    )
    expect(
      parseExternalBody(
        "message/external-body; access-type='x-content-addressed-uri'; hash-algorithm='sha256'; size='0'",
      ),
    ).toEqual({ size: 0 })
    expect(() => parseExternalBody('')).toThrow(ProtocolError)
  })
})

describe('withFreshBlocks (an envelope step on a message already valid)', () => {
  const receipt: Header[] = [
    ['Message-ID', '<m1@example.com>'],
    ['Received', 'from example.com by example.net; Mon, 07 Dec 2026 10:00:00 +0000'],
  ]

  it('gives what parsing the whole result gives', () => {
    const fresh = [{ headers: receipt }, { 'jwt-assertion': 'a.b.c' }]
    const out = withFreshBlocks(draft, fresh, draft.envelope)
    expect(out).toEqual(
      parseMessageJson(JSON.stringify({ envelope: [...fresh, ...draft.envelope], parts: draft.parts })),
    )
  })

  it('checks the fresh blocks against the schema, with the path parsing would name', () => {
    expectThrowsCode(
      () => withFreshBlocks(draft, [{ headers: [['X-A', 'a\nb']] }], draft.envelope),
      'malformed_message',
      /control character/,
    )
    expectThrowsCode(
      () => withFreshBlocks(draft, [{ 'jwt-assertion': 'not a jws' }], draft.envelope),
      'malformed_message',
      /at envelope\.0.*compact JWS/,
    )
    expectThrowsCode(
      () =>
        withFreshBlocks(draft, [{ headers: receipt, extra: 1 } as unknown as EnvelopeBlock], draft.envelope),
      'malformed_message',
    )
  })

  it('applies the whole-message rules to the result', () => {
    const many = Array.from({ length: LIMITS.maxEnvelopeBlocks }, () => ({ 'jwt-assertion': 'a.b.c' }))
    expectThrowsCode(() => withFreshBlocks(draft, many, draft.envelope), 'too_large', /more than 64 blocks/)
    // Without the original headers block kept, the oldest block is a receipt: no From, not a message.
    expectThrowsCode(
      () => withFreshBlocks(draft, [{ headers: receipt }], []),
      'malformed_message',
      /at envelope\[0\]: the original headers need one From/,
    )
    expectThrowsCode(
      () => withFreshBlocks(draft, [{ 'jwt-assertion': 'a.b.c' }], []),
      'malformed_message',
      /oldest \(last\) block must be the original headers/,
    )
  })
})
