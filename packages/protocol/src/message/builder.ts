import { ProtocolError } from '../errors.ts'
import { formatAddress, formatAddressList, parseAddressList } from './address.ts'
import { formatDisposition, formatExternalBody, isMediaType } from './content-type.ts'
import { bracketDigest, isDigest } from './digest-format.ts'
import { getStringHeader } from './headers.ts'
import { listResources, originalHeaders } from './reader.ts'
import { parsePlaceholderMessage } from './schema.ts'
import type { Address, Header, Part, PlaceholderMessage, ResourceRef } from './types.ts'
import { isMsgId, parseMsgIdList } from './validate.ts'

export interface DraftInput {
  from: Address
  to: Address[]
  cc?: Address[]
  bcc?: Address[]
  subject: string
  /** `<id@domain>` */
  messageId: string
  /** `<id@domain>`; defaults to `messageId` (a new message starts its own thread). */
  threadId?: string
  inReplyTo?: string
  references?: string[]
  text?: ResourceRef
  html?: ResourceRef
  attachments?: ResourceRef[]
}

function leaf(ref: ResourceRef, disposition: 'inline' | 'attachment'): Part {
  if (!isDigest(ref.contentId)) {
    throw new ProtocolError(
      'invalid_digest',
      `contentId must be a bare 43-character digest, got "${ref.contentId}"`,
    )
  }
  if (!isMediaType(ref.mediaType))
    throw new ProtocolError('malformed_message', `"${ref.mediaType}" is not a media type`)
  return {
    headers: [
      ['Content-Disposition', formatDisposition(disposition, ref.filename)],
      ['Content-ID', bracketDigest(ref.contentId)],
      ['Content-Type', [formatExternalBody(ref.size), ref.mediaType]],
    ],
  }
}

/** Line breaks in a subject would end the header: they become single spaces. */
function cleanSubject(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: folding control characters out of user text
  return s.replace(/[\r\n\u0000-\u0008\u000b-\u001f\u007f]+/g, ' ').trim()
}

/**
 * Builds a draft Placeholder Message (no Date: a draft is mutable). Text and HTML become a
 * multipart/alternative (or a single inline leaf), then one leaf per attachment.
 * @see RFC 5322 §3.6 (header fields), RFC 2046 §5.1.4 (multipart/alternative)
 */
export function buildDraft(input: DraftInput): PlaceholderMessage {
  const headers: Header[] = [['From', formatAddress(input.from)]]
  if (input.to.length > 0) headers.push(['To', formatAddressList(input.to)])
  if (input.cc && input.cc.length > 0) headers.push(['Cc', formatAddressList(input.cc)])
  if (input.bcc && input.bcc.length > 0) headers.push(['Bcc', formatAddressList(input.bcc)])
  headers.push(['Subject', cleanSubject(input.subject)])
  for (const [name, id] of [
    ['messageId', input.messageId],
    ['threadId', input.threadId],
    ['inReplyTo', input.inReplyTo],
  ] as const) {
    if (id !== undefined && !isMsgId(id))
      throw new ProtocolError('malformed_message', `${name} must be <id@domain>, got "${id}"`)
  }
  headers.push(['Message-ID', input.messageId])
  headers.push(['X-Thread-ID', input.threadId ?? input.messageId])
  if (input.inReplyTo !== undefined) headers.push(['In-Reply-To', input.inReplyTo])
  if (input.references && input.references.length > 0)
    headers.push(['References', input.references.join(' ')])
  headers.push(['Content-Type', 'multipart/mixed'])

  const parts: Part[] = []
  const bodies = [input.text, input.html]
    .filter((r): r is ResourceRef => r !== undefined)
    .map((r) => leaf(r, 'inline'))
  if (bodies.length === 2) parts.push({ headers: [['Content-Type', 'multipart/alternative']], parts: bodies })
  else parts.push(...bodies)
  for (const a of input.attachments ?? []) parts.push(leaf(a, 'attachment'))
  return parsePlaceholderMessage({ envelope: [{ headers }], parts })
}

const stripPrefix = (subject: string) => subject.replace(/^\s*((re|fwd?|aw|wg)\s*:\s*)+/i, '')
const sameAddr = (a: Address, b: string) => a.address.toLowerCase() === b.toLowerCase()

/**
 * The threading fields of a reply to `original` (RFC 5322 §3.6.4): To = the original From (plus, for
 * reply-all, its To and Cc minus `self`), In-Reply-To, References, X-Thread-ID and a "Re: " subject.
 */
export function replyHeaders(
  original: PlaceholderMessage,
  options: { replyAll?: boolean; self?: string } = {},
): Pick<DraftInput, 'to' | 'cc' | 'subject' | 'inReplyTo' | 'references' | 'threadId'> {
  const h = originalHeaders(original)
  const messageId = getStringHeader(h, 'Message-ID')!
  const list = (name: string) => parseAddressList(getStringHeader(h, name) ?? '')
  const from = list('Reply-To').length > 0 ? list('Reply-To') : list('From')
  const self = options.self
  const notSelf = (a: Address) => self === undefined || !sameAddr(a, self)
  const seen = new Set<string>()
  const unique = (a: Address) => {
    const key = a.address.toLowerCase()
    if (seen.has(key)) return false
    seen.add(key)
    return true
  }
  let to = from.filter(unique)
  let cc: Address[] = []
  if (options.replyAll) {
    to = [...to, ...list('To').filter(notSelf).filter(unique)]
    cc = list('Cc').filter(notSelf).filter(unique)
  }
  if (to.length === 0) to = from
  const previous = parseMsgIdList(getStringHeader(h, 'References') ?? '') ?? []
  const inReplyTo = getStringHeader(h, 'In-Reply-To')
  if (previous.length === 0 && inReplyTo !== undefined) previous.push(inReplyTo)
  return {
    to,
    cc,
    subject: `Re: ${stripPrefix(getStringHeader(h, 'Subject') ?? '')}`,
    inReplyTo: messageId,
    references: [...previous.filter((id) => id !== messageId), messageId],
    threadId: getStringHeader(h, 'X-Thread-ID') ?? messageId,
  }
}

export interface ForwardInput {
  from: Address
  to: Address[]
  cc?: Address[]
  bcc?: Address[]
  messageId: string
  /** A new text (e.g. the user's note with the quoted original); when absent the original text is reused. */
  text?: ResourceRef
  html?: ResourceRef
  /** Extra attachments, after the original ones. */
  attachments?: ResourceRef[]
}

/**
 * A draft forwarding `original`: "Fwd: " subject, References to the original, and every original
 * attachment reused by reference (same Content-ID: nothing is uploaded again). Without a new text or
 * html the original text and html are reused too; with one, the new body replaces them (it quotes them).
 */
export function forwardDraft(original: PlaceholderMessage, input: ForwardInput): PlaceholderMessage {
  const h = originalHeaders(original)
  const messageId = getStringHeader(h, 'Message-ID')!
  const resources = listResources(original)
  const text = resources.find((r) => r.disposition === 'inline' && /^text\/plain\b/i.test(r.mediaType))
  const html = resources.find((r) => r.disposition === 'inline' && /^text\/html\b/i.test(r.mediaType))
  const others = resources.filter((r) => r !== text && r !== html)
  const strip = ({ disposition: _d, ...ref }: ResourceRef & { disposition?: string }): ResourceRef => ref
  const previous = parseMsgIdList(getStringHeader(h, 'References') ?? '') ?? []
  return buildDraft({
    from: input.from,
    to: input.to,
    cc: input.cc,
    bcc: input.bcc,
    subject: `Fwd: ${stripPrefix(getStringHeader(h, 'Subject') ?? '')}`,
    messageId: input.messageId,
    references: [...previous.filter((id) => id !== messageId), messageId],
    text: input.text ?? (input.html === undefined && text ? strip(text) : undefined),
    html: input.html ?? (input.text === undefined && html ? strip(html) : undefined),
    attachments: [...others.map(strip), ...(input.attachments ?? [])],
  })
}
