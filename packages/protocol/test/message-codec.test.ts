import { describe, expect, it } from 'vitest'
import {
  LIMITS,
  type PlaceholderMessage,
  parseMessageJson,
  parseMessageYaml,
  placeholderMessageSchema,
  serializeMessageJson,
  serializeMessageYaml,
} from '../src/message/index.ts'
import { aliceDraft } from './fixtures/two-hop-chain.ts'
import { expectThrowsCode } from './protocol-error.ts'

const draft = aliceDraft()
const clone = (m: PlaceholderMessage): PlaceholderMessage => structuredClone(m)
const withOriginal = (headers: PlaceholderMessage['envelope'][number]) => ({ envelope: [headers], parts: [] })

describe('JSON codec', () => {
  it('round-trips and keeps header order, case and duplicates', () => {
    const m = clone(draft)
    const h = (m.envelope[0] as { headers: [string, string][] }).headers
    h.push(['X-Tag', 'one'], ['x-tag', 'two'])
    const back = parseMessageJson(serializeMessageJson(m))
    expect(back).toEqual(m)
    expect((back.envelope[0] as { headers: unknown[] }).headers.slice(-2)).toEqual([
      ['X-Tag', 'one'],
      ['x-tag', 'two'],
    ])
  })

  it('accepts an already-decoded value and the zod schema agrees', () => {
    expect(parseMessageJson(JSON.parse(serializeMessageJson(draft)))).toEqual(draft)
    expect(placeholderMessageSchema.safeParse(draft).success).toBe(true)
    expect(placeholderMessageSchema.safeParse({ envelope: [] }).success).toBe(false)
  })

  it('rejects text that is not JSON', () => {
    expectThrowsCode(() => parseMessageJson('{"envelope": ['), 'malformed_json')
  })

  it.each([
    ['an unknown top-level key', { ...draft, extra: 1 }],
    ['a header that is an object', withOriginal({ headers: [{ From: 'a@b.c' }] } as never)],
    ['a header with three elements', withOriginal({ headers: [['From', 'a@b.c', 'x']] } as never)],
    ['a numeric header value', withOriginal({ headers: [['From', 5]] } as never)],
    ['a header name with a colon', withOriginal({ headers: [['From:', 'a@b.c']] })],
    ['a header value with CRLF', withOriginal({ headers: [['Subject', 'a\r\nBcc: x@y.z']] })],
    ['a block that is both kinds', { envelope: [{ headers: [], 'jwt-assertion': 'a.b.c' }], parts: [] }],
    [
      'an assertion that is not a compact JWS',
      { envelope: [{ 'jwt-assertion': 'not a jws' }, ...draft.envelope], parts: [] },
    ],
    ['an envelope ending with an assertion', { envelope: [{ 'jwt-assertion': 'a.b.c' }], parts: [] }],
    ['an original block without From', withOriginal({ headers: [['Message-ID', '<a@b>']] })],
    [
      'two Subject headers',
      withOriginal({
        headers: [
          ['From', 'a@b.c'],
          ['Message-ID', '<a@b>'],
          ['Subject', 'x'],
          ['subject', 'y'],
        ],
      }),
    ],
    [
      'a bad Message-ID',
      withOriginal({
        headers: [
          ['From', 'a@b.c'],
          ['Message-ID', 'a@b'],
        ],
      }),
    ],
    [
      'a bad Date',
      withOriginal({
        headers: [
          ['From', 'a@b.c'],
          ['Message-ID', '<a@b>'],
          ['Date', 'yesterday'],
        ],
      }),
    ],
    [
      'a list value in the envelope',
      withOriginal({
        headers: [
          ['From', 'a@b.c'],
          ['Message-ID', '<a@b>'],
          ['Content-Type', ['a', 'b']],
        ],
      } as never),
    ],
    [
      'an original Content-Type other than multipart/mixed',
      withOriginal({
        headers: [
          ['From', 'a@b.c'],
          ['Message-ID', '<a@b>'],
          ['Content-Type', 'text/plain'],
        ],
      }),
    ],
  ])('rejects %s as malformed_message', (_what, value) => {
    expectThrowsCode(() => parseMessageJson(value), 'malformed_message')
  })

  it('rejects leaves without a valid Content-Type pair', () => {
    const leafWith = (ct: unknown) => {
      const m = clone(draft)
      const leaf = m.parts[1]!
      leaf.headers[2] = ['Content-Type', ct as [string, string]]
      return m
    }
    expectThrowsCode(() => parseMessageJson(leafWith('image/png')), 'malformed_message', /Content-Type pair/)
    expectThrowsCode(
      () =>
        parseMessageJson(
          leafWith([
            'message/external-body; access-type=x-content-addressed-uri; hash-algorithm=sha256; size=-1',
            'image/png',
          ]),
        ),
      'malformed_message',
      /non-negative integer/,
    )
    expectThrowsCode(
      () =>
        parseMessageJson(
          leafWith([
            'message/external-body; access-type=x-content-addressed-uri; hash-algorithm=sha256; size=1.5',
            'image/png',
          ]),
        ),
      'malformed_message',
      /non-negative integer/,
    )
    expectThrowsCode(
      () =>
        parseMessageJson(
          leafWith(['message/external-body; access-type=url; hash-algorithm=sha256; size=1', 'image/png']),
        ),
      'malformed_message',
      /access-type/,
    )
    expectThrowsCode(
      () =>
        parseMessageJson(
          leafWith([
            'message/external-body; access-type=x-content-addressed-uri; hash-algorithm=md5; size=1',
            'image/png',
          ]),
        ),
      'malformed_message',
      /hash-algorithm/,
    )
    expectThrowsCode(
      () =>
        parseMessageJson(
          leafWith([
            'message/external-body; access-type=x-content-addressed-uri; hash-algorithm=sha256; size=1',
            'not a type',
          ]),
        ),
      'malformed_message',
      /media type/,
    )
    // The seed's apostrophe-quoted parameters are read too.
    const seedStyle = leafWith([
      "message/external-body; access-type='x-content-addressed-uri'; hash-algorithm='sha256'; size='3520247'",
      'image/png',
    ])
    expect(parseMessageJson(seedStyle)).toEqual(seedStyle)
  })

  it.each([
    ['too short', '<abc>'],
    ['44 characters', `<${'A'.repeat(44)}>`],
    ['not base64url', `<${'+'.repeat(42)}A>`],
    ['padded', `<${'A'.repeat(42)}=>`],
    ['non-canonical last character', `<${'A'.repeat(42)}B>`],
    ['without brackets', 'A'.repeat(43)],
  ])('rejects a Content-ID that is %s as invalid_digest', (_what, value) => {
    const m = clone(draft)
    m.parts[1]!.headers[1] = ['Content-ID', value]
    expectThrowsCode(() => parseMessageJson(m), 'invalid_digest')
  })

  it('rejects a malformed Recipients-Digest or Body-Digest in the envelope', () => {
    const m = clone(draft)
    ;(m.envelope[0] as { headers: [string, string][] }).headers.unshift(['Body-Digest', '<nope>'])
    expectThrowsCode(() => parseMessageJson(m), 'invalid_digest')
  })

  it('rejects bad addresses as invalid_address', () => {
    expectThrowsCode(
      () =>
        parseMessageJson(
          withOriginal({
            headers: [
              ['From', 'Alice'],
              ['Message-ID', '<a@b>'],
            ],
          }),
        ),
      'invalid_address',
    )
    expectThrowsCode(
      () =>
        parseMessageJson(
          withOriginal({
            headers: [
              ['From', 'a@b.c, d@e.f'],
              ['Message-ID', '<a@b>'],
            ],
          }),
        ),
      'invalid_address',
      /one mailbox/,
    )
  })

  describe('limits (too_large)', () => {
    const header = (n: number): [string, string][] => Array.from({ length: n }, (_, i) => [`X-H${i}`, 'v'])
    it('more than 64 envelope blocks', () => {
      const blocks = Array.from({ length: LIMITS.maxEnvelopeBlocks }, () => ({ 'jwt-assertion': 'a.b.c' }))
      expectThrowsCode(
        () => parseMessageJson({ envelope: [...blocks, ...draft.envelope], parts: [] }),
        'too_large',
      )
    })
    it('more than 256 headers in a block', () => {
      const m = clone(draft)
      ;(m.envelope[0] as { headers: [string, string][] }).headers.push(...header(LIMITS.maxHeadersPerBlock))
      expectThrowsCode(() => parseMessageJson(m), 'too_large')
    })
    it('a header value over 8 KiB', () => {
      const m = clone(draft)
      ;(m.envelope[0] as { headers: [string, string][] }).headers.push([
        'X-Big',
        'x'.repeat(LIMITS.maxHeaderValueLength + 1),
      ])
      expectThrowsCode(() => parseMessageJson(m), 'too_large')
    })
    it('parts nested deeper than 8', () => {
      let part = draft.parts[1]!
      for (let i = 0; i < LIMITS.maxPartDepth; i++)
        part = { headers: [['Content-Type', 'multipart/mixed']], parts: [part] }
      expectThrowsCode(
        () => parseMessageJson({ envelope: draft.envelope, parts: [part] }),
        'too_large',
        /deeper/,
      )
    })
    it('more than 256 parts', () => {
      const parts = Array.from({ length: LIMITS.maxParts + 1 }, () => draft.parts[1]!)
      expectThrowsCode(() => parseMessageJson({ envelope: draft.envelope, parts }), 'too_large')
    })
    it('a serialized message over 256 KiB', () => {
      const m = clone(draft)
      ;(m.envelope[0] as { headers: [string, string][] }).headers.push(
        ...Array.from({ length: 40 }, (_, i): [string, string] => [`X-Fill-${i}`, 'y'.repeat(8000)]),
      )
      expectThrowsCode(() => parseMessageJson(m), 'too_large', /serialized/)
    })
    it('a text over 512 KiB, before parsing', () => {
      expectThrowsCode(() => parseMessageJson(' '.repeat(LIMITS.maxTextBytes + 1)), 'too_large')
      expectThrowsCode(() => parseMessageYaml('#'.repeat(LIMITS.maxTextBytes + 1)), 'too_large')
      expectThrowsCode(() => parseMessageJson('"é'.padEnd(LIMITS.maxTextBytes / 2 + 10, 'é')), 'too_large')
    })
    it('hostile JSON nesting without overflowing the stack', () => {
      const deep = '['.repeat(100_000) + ']'.repeat(100_000)
      expectThrowsCode(() => parseMessageJson(deep), 'too_large', /nesting/)
    })
  })
})

describe('YAML codec', () => {
  it('renders the layout of the seed figures', () => {
    const y = serializeMessageYaml(draft)
    expect(y).toContain('envelope:\n  - headers:\n      - From: Alice <alice@example.com>\n')
    expect(y).toContain(
      '      - Content-Type:\n          - message/external-body; access-type=x-content-addressed-uri; hash-algorithm=sha256; size=4096\n          - image/png\n',
    )
    expect(parseMessageYaml(y)).toEqual(draft)
  })

  it('reads every scalar as a string and quotes ambiguous ones on output', () => {
    const m = clone(draft)
    const h = (m.envelope[0] as { headers: [string, string][] }).headers
    h.push(
      ['X-Num', '0012'],
      ['X-Bool', 'yes'],
      ['X-Null', 'null'],
      ['X-Empty', ''],
      ['X-Hash', '# not a comment'],
      ['X-Space', ' lead'],
    )
    const y = serializeMessageYaml(m)
    expect(y).toContain('X-Bool: "yes"')
    expect(parseMessageYaml(y)).toEqual(m)
    // Unquoted scalars that YAML 1.1/1.2 core would type are still strings here.
    const typed = parseMessageYaml(
      'envelope:\n  - headers:\n      - From: a@b.c\n      - Message-ID: <a@b>\n      - X-Num: 12\n      - X-Bool: true\n      - X-Null: null\n      - X-Empty:\nparts: []\n',
    )
    expect((typed.envelope[0] as { headers: unknown[] }).headers.slice(2)).toEqual([
      ['X-Num', '12'],
      ['X-Bool', 'true'],
      ['X-Null', 'null'],
      ['X-Empty', ''],
    ])
  })

  const head = 'envelope:\n  - headers:\n      - From: a@b.c\n      - Message-ID: <a@b>\n'
  it.each([
    ['broken syntax', 'envelope: [\n', /end with a \]/],
    ['an anchor and alias', `${head}      - X-A: &a x\n      - X-B: *a\n`, /anchors/],
    ['an alias alone', `${head}      - X-B: *a\n`, /alias/i],
    ['a custom tag', `${head}      - X-A: !evil x\n`, /tag/i],
    ['a core tag', `${head}      - X-A: !!str x\n`, /tag/i],
    ['a merge key', 'envelope:\n  - <<: {headers: []}\n', /merge/],
    ['duplicate keys', `${head}parts: []\nparts: []\n`, /unique/],
    ['two documents', `${head}---\n${head}`, /multiple documents/i],
    ['a header that is a list', `${head}      - [From, a@b.c]\n`, /single "Name: value"/],
    ['a header map with two keys', `${head}      - {X-A: a, X-B: b}\n`, /single "Name: value"/],
    ['a mapping where a string is required', `${head}      - Subject: {a: b}\n`, /Placeholder Message/],
    ['a block with an unknown key', 'envelope:\n  - signature: x\n', /unknown key "signature"/],
    ['a block with both keys', `envelope:\n  - headers: []\n    jwt-assertion: a.b.c\n`, /either/],
    ['a top-level list', '- a\n', /must be a mapping/],
    ['a missing envelope', 'parts: []\n', /lacks "envelope"/],
    [
      'a complex key',
      `${head}      - ? [a]\n        : b\n`,
      /keys must be plain strings|Placeholder Message/,
    ],
  ])('rejects %s', (_what, text, why) => {
    let error: unknown
    try {
      parseMessageYaml(text)
    } catch (e) {
      error = e
    }
    expect(error).toBeDefined()
    const e = error as { code: string; message: string }
    expect(['malformed_yaml', 'malformed_message']).toContain(e.code)
    expect(e.message).toMatch(why)
  })

  it('refuses a billion-laughs alias bomb quickly and without expanding it', () => {
    const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(',')}]`,
      )
    expectThrowsCode(() => parseMessageYaml(`${lines.join('\n')}\n`), 'malformed_yaml', /anchors|alias/)
  })

  it('refuses YAML nested deeper than the model allows', () => {
    const deep = `envelope: ${'['.repeat(60)}${']'.repeat(60)}\n`
    expectThrowsCode(() => parseMessageYaml(deep), 'too_large')
  })

  it('carries header names that are JavaScript prototype keys without touching any prototype', () => {
    const m = clone(draft)
    ;(m.envelope[0] as { headers: [string, string][] }).headers.push(['__proto__', 'x'], ['constructor', 'y'])
    const back = parseMessageYaml(serializeMessageYaml(m))
    expect(back).toEqual(m)
    expect(parseMessageJson(serializeMessageJson(m))).toEqual(m)
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })

  it('refuses non-string input', () => {
    expectThrowsCode(() => parseMessageYaml(42 as unknown as string), 'malformed_yaml')
  })
})
