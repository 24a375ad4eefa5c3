/**
 * Reads the columns the mailbox indexes (subject, addresses, thread, resources) out of a Placeholder
 * Message in the JSON model. Deliberately tolerant: the message was validated by whoever produced it
 * (the api's composer or the gateway's delivery endpoint); this only derives list and search fields.
 */

/** The JSON model, structurally (see @federizer/protocol `PlaceholderMessage`). */
export type StoredHeader = [string, string | [string, string]]
export interface StoredPart {
  headers: StoredHeader[]
  parts?: StoredPart[]
}
export type StoredEnvelopeBlock = { headers: StoredHeader[] } | { 'jwt-assertion': string }
export interface StoredPlaceholder {
  envelope: StoredEnvelopeBlock[]
  parts: StoredPart[]
}

export interface IndexedAddress {
  name?: string
  address: string
}

export interface IndexedResource {
  contentId: string
  size: number
  mediaType: string
  filename?: string
  disposition: 'inline' | 'attachment'
}

export interface IndexedMessage {
  messageId: string
  threadId?: string
  inReplyTo?: string
  references: string[]
  subject: string
  from: IndexedAddress | undefined
  to: IndexedAddress[]
  cc: IndexedAddress[]
  bcc: IndexedAddress[]
  date?: number
  resources: IndexedResource[]
}

const headerValue = (v: StoredHeader[1]): string => (typeof v === 'string' ? v : v.join('; '))

export function findHeader(headers: StoredHeader[], name: string): string | undefined {
  const lower = name.toLowerCase()
  const found = headers.find((h) => h[0].toLowerCase() === lower)
  return found ? headerValue(found[1]) : undefined
}

/** The original composition: the oldest (last) header block of the envelope. */
export function originalBlock(m: StoredPlaceholder): StoredHeader[] {
  for (let i = m.envelope.length - 1; i >= 0; i--) {
    const block = m.envelope[i]
    if (block && 'headers' in block) return block.headers
  }
  return []
}

/** Splits an address list on commas outside quotes and angle brackets. */
export function parseAddresses(value: string | undefined): IndexedAddress[] {
  if (!value) return []
  const out: IndexedAddress[] = []
  let current = ''
  let quoted = false
  let angle = false
  for (const ch of value) {
    if (ch === '"') quoted = !quoted
    else if (ch === '<' && !quoted) angle = true
    else if (ch === '>' && !quoted) angle = false
    if (ch === ',' && !quoted && !angle) {
      pushAddress(out, current)
      current = ''
    } else current += ch
  }
  pushAddress(out, current)
  return out
}

function pushAddress(out: IndexedAddress[], raw: string): void {
  const s = raw.trim()
  if (!s) return
  const m = /^(.*?)<([^<>]+)>\s*$/.exec(s)
  if (m) {
    const name = (m[1] ?? '')
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .trim()
    const address = (m[2] ?? '').trim().toLowerCase()
    out.push(name ? { name, address } : { address })
  } else out.push({ address: s.toLowerCase() })
}

const angleIds = (v: string | undefined): string[] => (v ? (v.match(/<[^<>\s]+>/g) ?? []) : [])

/** Walks the body tree and returns every external-body leaf as a resource reference. */
export function collectResources(parts: StoredPart[]): IndexedResource[] {
  const out: IndexedResource[] = []
  const walk = (list: StoredPart[]) => {
    for (const part of list) {
      if (part.parts?.length) walk(part.parts)
      const cid = findHeader(part.headers, 'Content-ID')
      if (!cid) continue
      const ct = part.headers.find((h) => h[0].toLowerCase() === 'content-type')?.[1]
      const external = Array.isArray(ct) ? ct[0] : (ct ?? '')
      const mediaType = Array.isArray(ct) ? ct[1] : 'application/octet-stream'
      const size = Number(/size=['"]?(\d+)/i.exec(external)?.[1] ?? 0)
      const disp = findHeader(part.headers, 'Content-Disposition') ?? 'attachment'
      const filename = /filename=(?:"([^"]*)"|'([^']*)'|([^;\s]+))/i.exec(disp)
      const res: IndexedResource = {
        contentId: cid.replace(/^<|>$/g, '').trim(),
        size,
        mediaType: (mediaType.split(';')[0] ?? mediaType).trim().toLowerCase(),
        disposition: /^\s*inline/i.test(disp) ? 'inline' : 'attachment',
      }
      const fname = filename?.[1] ?? filename?.[2] ?? filename?.[3]
      if (fname) res.filename = fname
      out.push(res)
    }
  }
  walk(parts)
  return out
}

/** Derives the indexed fields of a Placeholder Message. */
export function indexPlaceholder(m: StoredPlaceholder): IndexedMessage {
  const h = originalBlock(m)
  const date = findHeader(h, 'Date')
  const parsedDate = date ? Date.parse(date) : Number.NaN
  const threadId = findHeader(h, 'X-Thread-ID')?.trim()
  const inReplyTo = angleIds(findHeader(h, 'In-Reply-To'))[0]
  const out: IndexedMessage = {
    messageId: (findHeader(h, 'Message-ID') ?? '').trim(),
    references: angleIds(findHeader(h, 'References')),
    subject: findHeader(h, 'Subject') ?? '',
    from: parseAddresses(findHeader(h, 'From'))[0],
    to: parseAddresses(findHeader(h, 'To')),
    cc: parseAddresses(findHeader(h, 'Cc')),
    bcc: parseAddresses(findHeader(h, 'Bcc')),
    resources: collectResources(m.parts),
  }
  if (threadId) out.threadId = threadId
  if (inReplyTo) out.inReplyTo = inReplyTo
  if (Number.isFinite(parsedDate)) out.date = Math.floor(parsedDate / 1000)
  return out
}
