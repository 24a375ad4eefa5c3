import { describe, expect, it } from 'vitest'
import {
  buildDraft,
  formatRfc5322Date,
  forwardDraft,
  getHeader,
  getHeaders,
  listResources,
  originalHeaders,
  parseRfc5322Date,
  readMessage,
  replyHeaders,
} from '../src/message/index.ts'
import { aliceDraft } from './fixtures/two-hop-chain.ts'
import { expectThrowsCode } from './protocol-error.ts'

const D = (c: string) => c.repeat(42) + 'A'
const ref = (c: string, mediaType: string, size = 10, filename?: string) => ({
  contentId: D(c),
  size,
  mediaType,
  ...(filename ? { filename } : {}),
})

describe('buildDraft', () => {
  it('lays out the original headers and a multipart/alternative of text + html, then attachments', () => {
    const m = aliceDraft()
    const h = originalHeaders(m)
    expect(h.map(([n]) => n)).toEqual([
      'From',
      'To',
      'Bcc',
      'Subject',
      'Message-ID',
      'X-Thread-ID',
      'Content-Type',
    ])
    expect(getHeader(h, 'content-type')).toBe('multipart/mixed')
    expect(getHeader(h, 'date')).toBeUndefined()
    expect(m.parts).toHaveLength(2)
    expect(getHeader(m.parts[0]!.headers, 'Content-Type')).toBe('multipart/alternative')
    expect(m.parts[0]!.parts!.map((p) => (getHeader(p.headers, 'Content-Type') as string[])[1])).toEqual([
      'text/plain; charset=UTF-8',
      'text/html; charset=UTF-8',
    ])
    expect(getHeader(m.parts[1]!.headers, 'Content-Disposition')).toBe('attachment; filename="Venice.png"')
  })

  it('uses a single inline leaf when there is only text, defaults X-Thread-ID to Message-ID, folds subject line breaks', () => {
    const m = buildDraft({
      from: { address: 'a@example.com' },
      to: [{ address: 'b@example.net' }],
      cc: [{ name: 'C', address: 'c@example.net' }],
      subject: 'line one\r\nBcc: evil@x.y',
      messageId: '<1@example.com>',
      inReplyTo: '<0@example.net>',
      references: ['<z@example.net>', '<0@example.net>'],
      text: ref('t', 'text/plain'),
    })
    const h = originalHeaders(m)
    expect(getHeader(h, 'Subject')).toBe('line one Bcc: evil@x.y')
    expect(getHeaders(h, 'Bcc')).toEqual([])
    expect(getHeader(h, 'X-Thread-ID')).toBe('<1@example.com>')
    expect(getHeader(h, 'References')).toBe('<z@example.net> <0@example.net>')
    expect(m.parts).toHaveLength(1)
    expect(m.parts[0]!.parts).toBeUndefined()
  })

  it('refuses bad content ids, media types, message ids and addresses', () => {
    const base = { from: { address: 'a@example.com' }, to: [], subject: '', messageId: '<1@x>' }
    expectThrowsCode(
      () => buildDraft({ ...base, text: { contentId: 'abc', size: 1, mediaType: 'text/plain' } }),
      'invalid_digest',
    )
    expectThrowsCode(() => buildDraft({ ...base, attachments: [ref('a', 'png')] }), 'malformed_message')
    expectThrowsCode(() => buildDraft({ ...base, messageId: 'no-brackets@x' }), 'malformed_message')
    expectThrowsCode(() => buildDraft({ ...base, threadId: '<bad>' }), 'malformed_message')
    expectThrowsCode(() => buildDraft({ ...base, from: { address: 'nobody' } }), 'invalid_address')
    expectThrowsCode(
      () => buildDraft({ ...base, attachments: [{ ...ref('a', 'image/png'), size: -1 }] }),
      'malformed_message',
      /non-negative integer/,
    )
    expectThrowsCode(
      () => buildDraft({ ...base, attachments: [{ ...ref('a', 'image/png'), size: 1.5 }] }),
      'malformed_message',
    )
  })
})

describe('reader', () => {
  it('lists every resource with disposition, size, media type and file name', () => {
    const m = buildDraft({
      from: { address: 'a@example.com' },
      to: [{ address: 'b@example.net' }],
      subject: 's',
      messageId: '<1@example.com>',
      text: ref('t', 'text/plain'),
      html: ref('h', 'text/html'),
      attachments: [ref('p', 'image/png', 3520247, 'Venice "2024".png'), ref('d', 'application/pdf', 0)],
    })
    expect(listResources(m)).toEqual([
      { contentId: D('t'), size: 10, mediaType: 'text/plain', disposition: 'inline' },
      { contentId: D('h'), size: 10, mediaType: 'text/html', disposition: 'inline' },
      {
        contentId: D('p'),
        size: 3520247,
        mediaType: 'image/png',
        disposition: 'attachment',
        filename: 'Venice "2024".png',
      },
      { contentId: D('d'), size: 0, mediaType: 'application/pdf', disposition: 'attachment' },
    ])
    const r = readMessage(m)
    expect(r.text?.contentId).toBe(D('t'))
    expect(r.html?.contentId).toBe(D('h'))
    expect(r.attachments.map((a) => a.contentId)).toEqual([D('p'), D('d')])
    expect(r).toMatchObject({
      subject: 's',
      messageId: '<1@example.com>',
      threadId: '<1@example.com>',
      references: [],
      cc: [],
      bcc: [],
    })
  })

  it('reads the original block even when newer blocks are on top', () => {
    const m = aliceDraft()
    const withDate = {
      envelope: [
        { headers: [['Message-ID', '<x@y>'] as [string, string]] },
        { 'jwt-assertion': 'a.b.c' },
        { headers: [['Date', 'Sun, 22 Dec 2024 19:49:35 +0000'] as [string, string], ...originalHeaders(m)] },
      ],
      parts: m.parts,
    }
    const r = readMessage(withDate)
    expect(r.from).toEqual({ name: 'Alice', address: 'alice@example.com' })
    expect(r.bcc).toEqual([{ address: 'carol@example.org' }])
    expect(r.date?.toISOString()).toBe('2024-12-22T19:49:35.000Z')
  })

  it('reads RFC 2231 encoded and seed-style quoted file names', () => {
    const m = aliceDraft()
    m.parts[1]!.headers[0] = ['Content-Disposition', "attachment; filename*=UTF-8''Ben%C3%A1tky.png"]
    expect(listResources(m)[2]!.filename).toBe('Benátky.png')
    m.parts[1]!.headers[0] = ['Content-Disposition', "attachment; filename='Venice.png'"]
    expect(listResources(m)[2]!.filename).toBe('Venice.png')
  })
})

describe('reply and forward', () => {
  const original = buildDraft({
    from: { name: 'Alice', address: 'alice@example.com' },
    to: [{ name: 'Bob', address: 'bob@example.net' }, { address: 'dave@example.org' }],
    cc: [{ address: 'erin@example.com' }],
    subject: 'Re: Vacation photo',
    messageId: '<2@example.com>',
    threadId: '<t@example.com>',
    inReplyTo: '<1@example.net>',
    references: ['<1@example.net>'],
    text: ref('t', 'text/plain'),
    html: ref('h', 'text/html'),
    attachments: [ref('p', 'image/png', 99, 'Venice.png')],
  })

  it('replies to the sender with threading headers and one "Re: "', () => {
    const r = replyHeaders(original, { self: 'bob@example.net' })
    expect(r).toEqual({
      to: [{ name: 'Alice', address: 'alice@example.com' }],
      cc: [],
      subject: 'Re: Vacation photo',
      inReplyTo: '<2@example.com>',
      references: ['<1@example.net>', '<2@example.com>'],
      threadId: '<t@example.com>',
    })
  })

  it('replies to all except oneself', () => {
    const r = replyHeaders(original, { replyAll: true, self: 'BOB@example.net' })
    expect(r.to.map((a) => a.address)).toEqual(['alice@example.com', 'dave@example.org'])
    expect(r.cc?.map((a) => a.address)).toEqual(['erin@example.com'])
  })

  it('forwards every resource by reference with a "Fwd: " subject', () => {
    const f = forwardDraft(original, {
      from: { address: 'bob@example.net' },
      to: [{ address: 'bobby@example.org' }],
      messageId: '<3@example.net>',
    })
    const r = readMessage(f)
    expect(r.subject).toBe('Fwd: Vacation photo')
    expect(r.references).toEqual(['<1@example.net>', '<2@example.com>'])
    expect(r.threadId).toBe('<3@example.net>')
    expect(listResources(f)).toEqual(listResources(original))
    const withNote = forwardDraft(original, {
      from: { address: 'bob@example.net' },
      to: [{ address: 'bobby@example.org' }],
      messageId: '<4@example.net>',
      text: ref('n', 'text/plain'),
    })
    const n = readMessage(withNote)
    expect(n.text?.contentId).toBe(D('n'))
    expect(n.html).toBeUndefined()
    expect(n.attachments.map((a) => a.contentId)).toEqual([D('p')])
  })
})

describe('RFC 5322 dates', () => {
  it('formats in UTC and parses back, including offsets', () => {
    const d = new Date('2024-12-22T19:49:35Z')
    expect(formatRfc5322Date(d)).toBe('Sun, 22 Dec 2024 19:49:35 +0000')
    expect(parseRfc5322Date('Sun, 22 Dec 2024 20:49:35 +0100')?.toISOString()).toBe(
      '2024-12-22T19:49:35.000Z',
    )
    expect(parseRfc5322Date('22 Dec 2024 19:49 -0000')?.toISOString()).toBe('2024-12-22T19:49:00.000Z')
  })
  it.each([
    'Sun Dec 22 20:49:35 CEST 2024',
    '31 Feb 2024 10:00:00 +0000',
    'Sun, 22 Dec 2024 25:00:00 +0000',
    '',
  ])('refuses %j', (s) => expect(parseRfc5322Date(s)).toBeUndefined())
  it('refuses an invalid Date object', () =>
    expectThrowsCode(() => formatRfc5322Date(new Date(Number.NaN)), 'malformed_message'))
})
