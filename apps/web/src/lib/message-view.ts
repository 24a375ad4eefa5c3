import { type Address, type PlaceholderMessage, readMessage } from '@federizer/protocol/message'
import type { ContentState, ResourceView } from '../api/types.ts'

// Rebuilds what the reader shows from the Placeholder Message (headers, body tree) and the inline
// resources the api returned (text and HTML bodies), plus the state of the mailbox's fetch.

export type BodyView =
  | { kind: 'html'; html: string; text?: string }
  | { kind: 'text'; text: string }
  | { kind: 'arriving' }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'empty' }

export interface EnvelopeBlockView {
  index: number
  kind: 'headers' | 'assertion'
  /** Header pairs as they stand (headers blocks). */
  headers: Array<[string, string]>
  /** Decoded (not verified) claims for display (assertion blocks). */
  claims?: Record<string, unknown>
}

export interface MessageView {
  from: Address
  to: Address[]
  cc: Address[]
  bcc: Address[]
  subject: string
  date?: Date
  messageId: string
  threadId?: string
  inReplyTo?: string
  references: string[]
  body: BodyView
  /** Plain text usable for quoting in a reply (text body, or HTML reduced to text). */
  quotableText: string
  attachments: ResourceView[]
  /** Inline, non-text resources (images referenced by cid:). */
  inlineResources: ResourceView[]
  envelope: EnvelopeBlockView[]
}

export interface ReconstructInput {
  placeholder: PlaceholderMessage
  text?: string
  html?: string
  resources: ResourceView[]
  contentState: ContentState
  contentReason?: string
  /** Turns HTML into text for quoting; the browser passes a DOM-based one. */
  htmlToText?: (html: string) => string
}

function decodeClaims(jws: string): Record<string, unknown> | undefined {
  const payload = jws.split('.')[1]
  if (!payload) return undefined
  try {
    const b64 = payload.replace(/-/g, '+').replace(/_/g, '/')
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes))
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The envelope chain as display rows, newest first (as stored). */
export function envelopeView(m: PlaceholderMessage): EnvelopeBlockView[] {
  return m.envelope.map((block, index) => {
    if ('jwt-assertion' in block) {
      const claims = decodeClaims(block['jwt-assertion'])
      return { index, kind: 'assertion', headers: [], ...(claims ? { claims } : {}) }
    }
    const headers = block.headers.map(([name, value]): [string, string] => [
      name,
      Array.isArray(value) ? value.join('; ') : value,
    ])
    return { index, kind: 'headers', headers }
  })
}

/** Crude but safe HTML → text for quoting (no DOM needed). */
export function stripHtml(html: string): string {
  return html
    .replace(/<(style|script|head)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|tr|h[1-6])>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

/** Builds the reader's view of one message. @see docs/architecture.md "Message JSON model" */
export function reconstructMessage(input: ReconstructInput): MessageView {
  const read = readMessage(input.placeholder)
  const byId = new Map(input.resources.map((r) => [r.contentId, r]))
  const view = (info: {
    contentId: string
    size: number
    mediaType: string
    filename?: string
    disposition: 'inline' | 'attachment'
  }) => byId.get(info.contentId) ?? { ...info, available: input.contentState === 'complete' }
  const inlineResources = read.attachments.filter((a) => a.disposition === 'inline').map(view)
  // Inline parts the HTML does not show (no cid: reference) would otherwise be unreachable: list them.
  const referenced = (r: ResourceView) => input.html?.includes(`cid:${r.contentId}`) ?? false
  const attachments = [
    ...read.attachments.filter((a) => a.disposition === 'attachment').map(view),
    ...inlineResources.filter((r) => !referenced(r)),
  ]

  let body: BodyView
  if (input.html !== undefined && read.html) {
    body =
      input.text !== undefined
        ? { kind: 'html', html: input.html, text: input.text }
        : { kind: 'html', html: input.html }
  } else if (input.text !== undefined && read.text) {
    body = { kind: 'text', text: input.text }
  } else if (!read.text && !read.html) {
    body = { kind: 'empty' }
  } else if (input.contentState === 'unavailable') {
    body = {
      kind: 'unavailable',
      reason: input.contentReason ?? 'the sender’s mailbox did not provide the content',
    }
  } else {
    body = { kind: 'arriving' }
  }

  const toText = input.htmlToText ?? stripHtml
  const quotableText = input.text ?? (input.html !== undefined ? toText(input.html) : '')

  const out: MessageView = {
    from: read.from,
    to: read.to,
    cc: read.cc,
    bcc: read.bcc,
    subject: read.subject,
    messageId: read.messageId,
    references: read.references,
    body,
    quotableText,
    attachments,
    inlineResources,
    envelope: envelopeView(input.placeholder),
  }
  if (read.date) out.date = read.date
  if (read.threadId) out.threadId = read.threadId
  if (read.inReplyTo) out.inReplyTo = read.inReplyTo
  return out
}
