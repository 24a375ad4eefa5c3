import { ProtocolError } from '../errors.ts'
import { parseAddressList } from './address.ts'
import { parseDisposition, parseExternalBody } from './content-type.ts'
import { parseRfc5322Date } from './date.ts'
import { unbracketDigest } from './digest-format.ts'
import { getHeader, getStringHeader } from './headers.ts'
import type { Address, Header, Part, PlaceholderMessage, ResourceInfo } from './types.ts'
import { parseMsgIdList } from './validate.ts'

/** The oldest envelope block: the original composition (plus Date and digests once sent). */
export function originalHeaders(m: PlaceholderMessage): Header[] {
  const block = m.envelope.at(-1)
  if (block === undefined || !('headers' in block)) {
    throw new ProtocolError('malformed_message', 'the oldest envelope block is not a headers block')
  }
  return block.headers
}

function leafInfo(part: Part): ResourceInfo {
  const ct = getHeader(part.headers, 'Content-Type')
  const cid = getStringHeader(part.headers, 'Content-ID')
  const contentId = cid === undefined ? undefined : unbracketDigest(cid)
  if (!Array.isArray(ct) || contentId === undefined) {
    throw new ProtocolError('malformed_message', 'a leaf part lacks its Content-ID or Content-Type pair')
  }
  const { size } = parseExternalBody(ct[0])
  const { disposition, filename } = parseDisposition(getStringHeader(part.headers, 'Content-Disposition'))
  const info: ResourceInfo = { contentId, size, mediaType: ct[1], disposition }
  if (filename !== undefined) info.filename = filename
  return info
}

/** Every External Resource the body references, depth-first in document order. */
export function listResources(m: PlaceholderMessage): ResourceInfo[] {
  const out: ResourceInfo[] = []
  const walk = (parts: readonly Part[]) => {
    for (const p of parts) {
      if (p.parts !== undefined) walk(p.parts)
      else out.push(leafInfo(p))
    }
  }
  walk(m.parts)
  return out
}

export interface ReadMessage {
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
  text?: ResourceInfo
  html?: ResourceInfo
  attachments: ResourceInfo[]
}

/** What a mail reader shows, read from the original (oldest) envelope block and the body tree. */
export function readMessage(m: PlaceholderMessage): ReadMessage {
  const h = originalHeaders(m)
  const list = (name: string) => parseAddressList(getStringHeader(h, name) ?? '')
  const from = list('From')[0]
  const messageId = getStringHeader(h, 'Message-ID')
  if (from === undefined || messageId === undefined) {
    throw new ProtocolError('malformed_message', 'the original headers lack From or Message-ID')
  }
  const resources = listResources(m)
  const text = resources.find((r) => r.disposition === 'inline' && /^text\/plain\b/i.test(r.mediaType))
  const html = resources.find((r) => r.disposition === 'inline' && /^text\/html\b/i.test(r.mediaType))
  const out: ReadMessage = {
    from,
    to: list('To'),
    cc: list('Cc'),
    bcc: list('Bcc'),
    subject: getStringHeader(h, 'Subject') ?? '',
    messageId,
    references: parseMsgIdList(getStringHeader(h, 'References') ?? '') ?? [],
    attachments: resources.filter((r) => r !== text && r !== html),
  }
  const date = getStringHeader(h, 'Date')
  const parsedDate = date === undefined ? undefined : parseRfc5322Date(date)
  if (parsedDate) out.date = parsedDate
  const threadId = getStringHeader(h, 'X-Thread-ID')
  if (threadId !== undefined) out.threadId = threadId
  const inReplyTo = getStringHeader(h, 'In-Reply-To')
  if (inReplyTo !== undefined) out.inReplyTo = inReplyTo
  if (text) out.text = text
  if (html) out.html = html
  return out
}
