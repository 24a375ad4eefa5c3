import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ADDRESS_HEADERS,
  buildDraft,
  DIGEST_HEADERS,
  type Header,
  type PlaceholderMessage,
  parseMessageJson,
  parseMessageYaml,
  SINGLETON_HEADERS,
  serializeMessageJson,
  serializeMessageYaml,
} from '../src/message/index.ts'

// biome-ignore lint/suspicious/noControlCharactersInRegex: header values exclude control characters
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/g
/** Any Unicode text a header value may hold: no line breaks or controls (tab allowed), no lone surrogates. */
const text = (maxLength: number) =>
  fc
    .string({
      unit: fc.oneof(
        fc.constantFrom(...' \t"\'#:&*!|>%@`{}[],-?~'),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      ),
      maxLength,
    })
    .map((s) => s.replace(CONTROL, ' '))
const displayName = text(20).map((s) => s.replace(/\t/g, ' '))
const digestArb = fc
  .tuple(fc.stringMatching(/^[A-Za-z0-9_-]{42}$/), fc.constantFrom(...'AEIMQUYcgkosw048'))
  .map(([a, b]) => a + b)
const CHECKED = new Set(
  [...SINGLETON_HEADERS, ...DIGEST_HEADERS, ...ADDRESS_HEADERS].map((n) => n.toLowerCase()),
)
const name = fc.oneof(
  fc.stringMatching(/^X-[A-Za-z0-9-]{1,16}$/),
  // Any field name, except `<<` and the names whose values the model checks (covered by unit tests).
  fc.stringMatching(/^[!-9;-~]{1,12}$/).filter((n) => n !== '<<' && !CHECKED.has(n.toLowerCase())),
  fc.constantFrom('?', '-', '!x', '&a', '*a', '#', '%', '@', '`', '{', '[', 'yes', '~', 'null', '"q'),
)
const ref = fc.record({
  contentId: digestArb,
  size: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  mediaType: fc.constantFrom(
    'text/plain; charset=UTF-8',
    'text/html',
    'image/png',
    'application/pdf',
    'application/vnd.x+json',
  ),
})
const attachment = fc
  .tuple(ref, fc.option(text(30), { nil: undefined }))
  .map(([r, filename]) => (filename === undefined ? r : { ...r, filename }))
const jws = fc
  .tuple(...[1, 2, 3].map(() => fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/)))
  .map((s) => s.join('.'))

const messageArb: fc.Arbitrary<PlaceholderMessage> = fc
  .record({
    fromName: fc.option(displayName, { nil: undefined }),
    toName: fc.option(displayName, { nil: undefined }),
    subject: text(80),
    text: fc.option(ref, { nil: undefined }),
    html: fc.option(ref, { nil: undefined }),
    attachments: fc.array(attachment, { maxLength: 4 }),
    extra: fc.array(fc.tuple(name, text(60)), { maxLength: 6 }),
    newer: fc.array(fc.tuple(jws, fc.array(fc.tuple(name, text(40)), { maxLength: 4 })), { maxLength: 3 }),
  })
  .map((r) => {
    const draft = buildDraft({
      from: { ...(r.fromName?.trim() ? { name: r.fromName } : {}), address: 'alice@example.com' },
      to: [{ ...(r.toName?.trim() ? { name: r.toName } : {}), address: 'bob@example.net' }],
      subject: r.subject,
      messageId: '<m@example.com>',
      text: r.text,
      html: r.html,
      attachments: r.attachments,
    })
    const original = draft.envelope[0] as { headers: Header[] }
    const newer = r.newer.flatMap(([j, headers]) => [
      { headers: headers as Header[] },
      { 'jwt-assertion': j },
    ])
    return {
      envelope: [...newer, { headers: [...original.headers, ...(r.extra as Header[])] }],
      parts: draft.parts,
    }
  })

describe('codec round trips (property)', { timeout: 60_000 }, () => {
  it('JSON → model → JSON is lossless', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const json = serializeMessageJson(m)
        expect(parseMessageJson(json)).toEqual(m)
        expect(serializeMessageJson(parseMessageJson(json))).toBe(json)
      }),
      { numRuns: 300, seed: 20241222 },
    )
  })

  it('JSON → YAML → JSON is lossless (every scalar a string, any Unicode)', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const yaml = serializeMessageYaml(m)
        const back = parseMessageYaml(yaml)
        expect(back).toEqual(m)
        expect(serializeMessageJson(back)).toBe(serializeMessageJson(m))
        expect(serializeMessageYaml(back)).toBe(yaml)
      }),
      { numRuns: 300, seed: 20241222 },
    )
  })
})
