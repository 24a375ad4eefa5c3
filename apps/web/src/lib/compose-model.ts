import {
  type Address,
  formatAddressList,
  type PlaceholderMessage,
  replyHeaders,
} from '@federizer/protocol/message'
import type { DraftState, ResourceRefView } from '../api/types.ts'
import { formatFullDate, prefixSubject } from './format.ts'
import type { MessageView } from './message-view.ts'

// Starting points for compose: new, reply, reply-all and forward, with correct threading
// (RFC 5322 §3.6.4: In-Reply-To = the parent's Message-ID, References = parent's References + it).

/** An empty new message. */
export function newDraft(): DraftState {
  return { to: [], cc: [], bcc: [], subject: '', text: '', attachments: [], references: [], mode: 'new' }
}

/** Mail HTML made safe for the compose editor (lib/editor-html.ts: the reader's sanitiser). */
export type EditorSanitizer = (html: string) => string

/** "On <date>, <name> wrote:" (without the date when the message has none). */
function attribution(view: Pick<MessageView, 'from' | 'date'>): string {
  const who = view.from.name ? `${view.from.name} <${view.from.address}>` : view.from.address
  const when = view.date ? `On ${formatFullDate(view.date)}, ` : ''
  return `${when}${who} wrote:`
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '<br>')
}

/** The empty line the writer starts on, above a quote. */
export const START_LINE = '<p><br></p>'

/**
 * The HTML quote of a reply: the attribution line, then the original's sanitised HTML in a
 * `<blockquote type="cite">` (as Apple Mail and Thunderbird write it; readers fold it).
 */
function quoteHtml(view: Pick<MessageView, 'from' | 'date'>, html: string, sanitize: EditorSanitizer) {
  return (
    `${START_LINE}<div class="fz-quote-attribution">${escapeHtml(attribution(view))}</div>` +
    '<blockquote type="cite" style="margin:0 0 0 0.8ex;border-left:2px solid #c4c9d1;padding-left:1ex">' +
    `${sanitize(html)}</blockquote>`
  )
}

/** "> " quoting with an attribution line. */
export function quoteText(view: Pick<MessageView, 'from' | 'date' | 'quotableText'>): string {
  const quoted = view.quotableText
    .split('\n')
    .map((line) => (line.startsWith('>') ? `>${line}` : `> ${line}`))
    .join('\n')
  return `\n\n${attribution(view)}\n${quoted}\n`
}

/**
 * A reply or reply-all draft; `self` is removed from the recipients. An HTML original is quoted as
 * HTML (through `sanitize`), so the reply keeps its formatting; the text part quotes with "> ".
 */
export function replyDraft(
  source: { id: string; placeholder: PlaceholderMessage; view: MessageView },
  options: { replyAll: boolean; self: string; sanitize?: EditorSanitizer },
): DraftState {
  const h = replyHeaders(source.placeholder, { replyAll: options.replyAll, self: options.self })
  const draft: DraftState = {
    to: h.to,
    cc: h.cc ?? [],
    bcc: [],
    subject: h.subject,
    text: quoteText(source.view),
    attachments: [],
    references: h.references ?? [],
    sourceMessageId: source.id,
    mode: options.replyAll ? 'replyAll' : 'reply',
  }
  const body = source.view.body
  if (body.kind === 'html' && options.sanitize)
    draft.html = quoteHtml(source.view, body.html, options.sanitize)
  if (h.inReplyTo) draft.inReplyTo = h.inReplyTo
  if (h.threadId) draft.threadId = h.threadId
  return draft
}

/**
 * A forward: the original attachments are carried by reference (same Content-ID, nothing is
 * uploaded again) and the original text is quoted below a forwarded-message header. An HTML original
 * is carried as HTML (through `sanitize`), with its inline images (cid:) as parts of the forward.
 */
export function forwardDraftState(
  source: { id: string; view: MessageView },
  options: { sanitize?: EditorSanitizer } = {},
): DraftState {
  const v = source.view
  const headerLines = [
    '---------- Forwarded message ----------',
    `From: ${formatAddressList([v.from])}`,
    ...(v.date ? [`Date: ${formatFullDate(v.date)}`] : []),
    `Subject: ${v.subject}`,
    `To: ${formatAddressList(v.to)}`,
    ...(v.cc.length ? [`Cc: ${formatAddressList(v.cc)}`] : []),
  ]
  const header = ['', '', ...headerLines, '', v.quotableText, ''].join('\n')
  const html =
    v.body.kind === 'html' && options.sanitize
      ? `${START_LINE}<div class="fz-forwarded">${headerLines.map(escapeHtml).join('<br>')}</div><br>` +
        options.sanitize(v.body.html)
      : undefined
  // Inline images the HTML shows travel with it; `attachments` already lists the unreferenced ones.
  const parts = html
    ? [...v.attachments, ...v.inlineResources.filter((r) => !v.attachments.includes(r))]
    : v.attachments
  const attachments: ResourceRefView[] = parts.map((a) => ({
    contentId: a.contentId,
    size: a.size,
    mediaType: a.mediaType,
    ...(a.filename ? { filename: a.filename } : {}),
  }))
  const draft: DraftState = {
    to: [],
    cc: [],
    bcc: [],
    subject: prefixSubject('Fwd', v.subject.replace(/^\s*((re|fwd?)\s*:\s*)+/i, '')),
    text: header,
    ...(html ? { html } : {}),
    attachments,
    references: [...v.references.filter((id) => id !== v.messageId), v.messageId],
    sourceMessageId: source.id,
    mode: 'forward',
  }
  return draft
}

/** True when the draft has something worth saving. */
export function isDraftEmpty(d: DraftState): boolean {
  return (
    d.to.length + d.cc.length + d.bcc.length === 0 &&
    !d.subject.trim() &&
    !(d.signature ? d.text.replace(d.signature, '') : d.text).trim() &&
    !d.html?.trim() &&
    d.attachments.length === 0
  )
}

/** Every recipient address, for validation before send. */
export function allRecipients(d: DraftState): Address[] {
  return [...d.to, ...d.cc, ...d.bcc]
}

/** Reopens a stored draft (Drafts folder, or after "Undo send") for editing. */
export function draftFromMessage(id: string, view: MessageView, text: string, html?: string): DraftState {
  const draft: DraftState = {
    draftId: id,
    to: view.to,
    cc: view.cc,
    bcc: view.bcc,
    subject: view.subject,
    text,
    ...(html ? { html } : {}),
    attachments: view.attachments.map((a) => ({
      contentId: a.contentId,
      size: a.size,
      mediaType: a.mediaType,
      ...(a.filename ? { filename: a.filename } : {}),
    })),
    references: view.references,
    mode: 'new',
  }
  if (view.inReplyTo) draft.inReplyTo = view.inReplyTo
  if (view.threadId) draft.threadId = view.threadId
  return draft
}
