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

/** "> " quoting with an attribution line. */
export function quoteText(view: Pick<MessageView, 'from' | 'date' | 'quotableText'>): string {
  const who = view.from.name ? `${view.from.name} <${view.from.address}>` : view.from.address
  const when = view.date ? `On ${formatFullDate(view.date)}, ` : ''
  const quoted = view.quotableText
    .split('\n')
    .map((line) => (line.startsWith('>') ? `>${line}` : `> ${line}`))
    .join('\n')
  return `\n\n${when}${who} wrote:\n${quoted}\n`
}

/** A reply or reply-all draft; `self` is removed from the recipients. */
export function replyDraft(
  source: { id: string; placeholder: PlaceholderMessage; view: MessageView },
  options: { replyAll: boolean; self: string },
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
  if (h.inReplyTo) draft.inReplyTo = h.inReplyTo
  if (h.threadId) draft.threadId = h.threadId
  return draft
}

/**
 * A forward: the original attachments are carried by reference (same Content-ID, nothing is
 * uploaded again) and the original text is quoted below a forwarded-message header.
 */
export function forwardDraftState(source: { id: string; view: MessageView }): DraftState {
  const v = source.view
  const header = [
    '',
    '',
    '---------- Forwarded message ----------',
    `From: ${formatAddressList([v.from])}`,
    ...(v.date ? [`Date: ${formatFullDate(v.date)}`] : []),
    `Subject: ${v.subject}`,
    `To: ${formatAddressList(v.to)}`,
    ...(v.cc.length ? [`Cc: ${formatAddressList(v.cc)}`] : []),
    '',
    v.quotableText,
    '',
  ].join('\n')
  const attachments: ResourceRefView[] = v.attachments.map((a) => ({
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
