// @vitest-environment jsdom
import { createHash } from 'node:crypto'
import { buildDraft } from '@federizer/protocol/message'
import { describe, expect, it } from 'vitest'
import { forwardDraftState, replyDraft } from './compose-model.ts'
import { sanitizeForEditor } from './editor-html.ts'
import { reconstructMessage } from './message-view.ts'
import { withSignature } from './signature.ts'

const cid = (c: string) => createHash('sha256').update(c).digest('base64url')
const HTML = { contentId: cid('h'), size: 9, mediaType: 'text/html' }
const TEXT = { contentId: cid('t'), size: 9, mediaType: 'text/plain' }
const LOGO = { contentId: cid('logo'), size: 120, mediaType: 'image/png', filename: 'logo.png' }

const placeholder = buildDraft({
  from: { name: 'Bob <Builder>', address: 'bob@example.net' },
  to: [{ address: 'alice@example.com' }],
  subject: 'Plans',
  messageId: '<m1@example.net>',
  text: TEXT,
  html: HTML,
})
const original =
  '<p>Shall we meet at <b>ten</b>?</p><ul><li>room 4</li></ul><img src="cid:' +
  LOGO.contentId +
  '" alt="logo"><script>window.pwned=1</script><a href="javascript:alert(1)" onclick="x()">x</a>'
// The logo is an inline part the HTML shows through cid: (builder drafts carry no Date: set it here).
const logo = { ...LOGO, disposition: 'inline' as const, available: true }
const view = {
  ...reconstructMessage({
    placeholder,
    text: 'Shall we meet at ten?\n- room 4',
    html: original,
    resources: [],
    contentState: 'complete',
  }),
  date: new Date('2026-12-03T09:30:00Z'),
  inlineResources: [logo],
}
const source = { id: 'row-1', placeholder, view }
const sanitize = (html: string) => sanitizeForEditor(html)

describe('reply and forward keep the HTML of the original (issue 16)', () => {
  it('reply quotes the HTML in a blockquote under "On <date>, <name> wrote:", sanitised', () => {
    const d = replyDraft(source, { replyAll: false, self: 'alice@example.com', sanitize })
    const html = d.html ?? ''
    expect(html.startsWith('<p><br></p><div class="fz-quote-attribution">On ')).toBe(true)
    expect(html).toContain('Bob &lt;Builder&gt; &lt;bob@example.net&gt; wrote:</div>')
    expect(html).toMatch(/<blockquote type="cite"[^>]*><p>Shall we meet at <b>ten<\/b>\?<\/p><ul><li>room 4/)
    // The reader's sanitiser ran: no script, no handler, no javascript: link.
    expect(html).not.toMatch(/<script|pwned|onclick|javascript:/i)
    // The text part still quotes with "> " for readers without HTML.
    expect(d.text).toContain('wrote:\n> Shall we meet at ten?\n> - room 4')
  })

  it('a plain-text original gives a plain-text reply', () => {
    const plain = reconstructMessage({
      placeholder: buildDraft({
        from: { address: 'bob@example.net' },
        to: [{ address: 'alice@example.com' }],
        subject: 'x',
        messageId: '<m2@example.net>',
        text: TEXT,
      }),
      text: 'hello',
      resources: [],
      contentState: 'complete',
    })
    const d = replyDraft({ id: 'r', placeholder, view: plain }, { replyAll: false, self: 'a@b.c', sanitize })
    expect(d.html).toBeUndefined()
    expect(d.text).toContain('> hello')
  })

  it('forward carries the HTML below the forwarded-message header, with its inline image', () => {
    const d = forwardDraftState(source, { sanitize })
    const html = d.html ?? ''
    expect(html).toContain('---------- Forwarded message ----------<br>From: ')
    expect(html).toContain('Subject: Plans')
    expect(html).toContain('<b>ten</b>')
    expect(html).toContain(`src="cid:${LOGO.contentId}"`)
    expect(html).not.toMatch(/<script|onclick|javascript:/i)
    expect(d.attachments.map((a) => a.contentId)).toEqual([LOGO.contentId])
    // Without HTML (no sanitiser given) the forward stays as before: text only.
    expect(forwardDraftState(source).html).toBeUndefined()
  })

  it('the signature goes above the quote in the HTML too', () => {
    const d = withSignature(replyDraft(source, { replyAll: false, self: 'a@b.c', sanitize }), 'Alice\nACME')
    expect(d.html).toMatch(
      /^<p><br><\/p><div class="fz-signature">-- <br>Alice<br>ACME<\/div><div class="fz-quote-attribution">/,
    )
  })
})
