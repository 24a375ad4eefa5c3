import { createHash } from 'node:crypto'
import { buildDraft, type PlaceholderMessage } from '@federizer/protocol/message'
import { describe, expect, it } from 'vitest'
import type { ResourceView } from '../api/types.ts'
import { envelopeView, reconstructMessage, stripHtml } from './message-view.ts'

const cid = (c: string) => createHash('sha256').update(c).digest('base64url')
const TEXT = { contentId: cid('t'), size: 11, mediaType: 'text/plain; charset=UTF-8' }
const HTML = { contentId: cid('h'), size: 30, mediaType: 'text/html; charset=UTF-8' }
const PHOTO = { contentId: cid('p'), size: 3520247, mediaType: 'image/png', filename: 'Venice.png' }

function draft(parts: { text?: boolean; html?: boolean; photo?: boolean } = {}): PlaceholderMessage {
  return buildDraft({
    from: { name: 'Alice', address: 'alice@example.com' },
    to: [{ name: 'Bob', address: 'bob@example.net' }],
    cc: [{ address: 'carol@example.org' }],
    subject: 'Vacation photo',
    messageId: '<b07d0cdf@example.com>',
    threadId: '<68fb9177@example.com>',
    ...(parts.text ? { text: TEXT } : {}),
    ...(parts.html ? { html: HTML } : {}),
    ...(parts.photo ? { attachments: [PHOTO] } : {}),
  })
}

const available = (r: typeof PHOTO): ResourceView => ({ ...r, disposition: 'attachment', available: true })

describe('message reconstruction from the Placeholder Message', () => {
  it('reads headers, prefers the HTML body and lists attachments', () => {
    const view = reconstructMessage({
      placeholder: draft({ text: true, html: true, photo: true }),
      text: 'hello Bob',
      html: '<p>hello <b>Bob</b></p>',
      resources: [available(PHOTO)],
      contentState: 'complete',
    })
    expect(view.from).toEqual({ name: 'Alice', address: 'alice@example.com' })
    expect(view.to).toEqual([{ name: 'Bob', address: 'bob@example.net' }])
    expect(view.cc).toEqual([{ address: 'carol@example.org' }])
    expect(view.subject).toBe('Vacation photo')
    expect(view.messageId).toBe('<b07d0cdf@example.com>')
    expect(view.threadId).toBe('<68fb9177@example.com>')
    expect(view.body).toEqual({ kind: 'html', html: '<p>hello <b>Bob</b></p>', text: 'hello Bob' })
    expect(view.quotableText).toBe('hello Bob')
    expect(view.attachments).toEqual([available(PHOTO)])
  })

  it('falls back to the text body', () => {
    const view = reconstructMessage({
      placeholder: draft({ text: true }),
      text: 'plain',
      resources: [],
      contentState: 'complete',
    })
    expect(view.body).toEqual({ kind: 'text', text: 'plain' })
  })

  it('shows "arriving" while the mailbox still fetches the inline bodies', () => {
    const view = reconstructMessage({
      placeholder: draft({ text: true, photo: true }),
      resources: [],
      contentState: 'arriving',
    })
    expect(view.body).toEqual({ kind: 'arriving' })
    expect(view.attachments[0]?.available).toBe(false)
  })

  it('shows "unavailable" with the reason when the fetch gave up', () => {
    const view = reconstructMessage({
      placeholder: draft({ html: true }),
      resources: [],
      contentState: 'unavailable',
      contentReason: 'origin refused the fetch (403)',
    })
    expect(view.body).toEqual({ kind: 'unavailable', reason: 'origin refused the fetch (403)' })
  })

  it('reduces HTML to text for quoting when there is no text part', () => {
    const view = reconstructMessage({
      placeholder: draft({ html: true }),
      html: '<style>p{}</style><p>one</p><p>two &amp; three</p>',
      resources: [],
      contentState: 'complete',
    })
    expect(view.quotableText).toBe('one\ntwo & three')
    expect(stripHtml('a<br>b')).toBe('a\nb')
  })

  it('renders the envelope chain blocks with decoded assertion claims', () => {
    const m = draft({ text: true })
    const payload = Buffer.from(JSON.stringify({ iss: 'https://as1.example.com', azp: 'mta' })).toString(
      'base64url',
    )
    const chained: PlaceholderMessage = {
      ...m,
      envelope: [
        { headers: [['Received', 'from example.com by example.net; x']] },
        { 'jwt-assertion': `e30.${payload}.c2ln` },
        ...m.envelope,
      ],
    }
    const blocks = envelopeView(chained)
    expect(blocks[0]).toMatchObject({
      kind: 'headers',
      headers: [['Received', 'from example.com by example.net; x']],
    })
    expect(blocks[1]).toMatchObject({
      kind: 'assertion',
      claims: { iss: 'https://as1.example.com', azp: 'mta' },
    })
    expect(blocks[2]?.headers.find(([n]) => n === 'From')?.[1]).toBe('Alice <alice@example.com>')
  })

  it('throws on a placeholder without From (malformed input is not shown as a blank message)', () => {
    const m = draft({ text: true })
    const broken: PlaceholderMessage = { ...m, envelope: [{ headers: [['Subject', 'x']] }] }
    expect(() =>
      reconstructMessage({ placeholder: broken, resources: [], contentState: 'complete' }),
    ).toThrow(/From/)
  })

  it('lists inline parts the HTML does not reference, and not those it shows', () => {
    const LOGO = { contentId: cid('logo'), size: 10, mediaType: 'image/png', filename: 'logo.png' }
    const CHART = { contentId: cid('chart'), size: 20, mediaType: 'image/png', filename: 'chart.png' }
    const m = buildDraft({
      from: { address: 'alice@example.com' },
      to: [{ address: 'bob@example.net' }],
      subject: 's',
      messageId: '<x@example.com>',
      html: HTML,
      attachments: [LOGO, CHART],
    })
    // Mark both image leaves inline, as a mail with embedded images has them.
    const walk = (parts: typeof m.parts) => {
      for (const p of parts) {
        if (p.parts) walk(p.parts)
        else
          p.headers = p.headers.map(([n, v]) =>
            n === 'Content-Disposition' && typeof v === 'string' && v.startsWith('attachment')
              ? [n, v.replace('attachment', 'inline')]
              : [n, v],
          )
      }
    }
    walk(m.parts)
    const view = reconstructMessage({
      placeholder: m,
      html: `<p><img src="cid:${LOGO.contentId}"></p>`,
      resources: [],
      contentState: 'complete',
    })
    expect(view.inlineResources.map((r) => r.filename)).toEqual(['logo.png', 'chart.png'])
    expect(view.attachments.map((r) => r.filename)).toEqual(['chart.png'])
  })
})
