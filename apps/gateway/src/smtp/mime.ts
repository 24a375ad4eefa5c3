import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import {
  type Address,
  buildDraft,
  formatRfc5322Date,
  isMsgId,
  originalHeaders,
  type PlaceholderMessage,
  parsePlaceholderMessage,
  type ResourceRef,
  removeHeaders,
} from '@federizer/protocol'
import { keepSmall, type ResourceStore, type SmallResource } from '@federizer/store'
import { MailParser } from 'mailparser'
import { SmtpRefusal } from './spool.ts'

export interface ParsedLegacy {
  message: PlaceholderMessage
  /** The plain text, for the search index. */
  text: string
  /** The text and HTML bodies up to 64 KiB, for the transaction that stores the copies (small-resources.ts). */
  small: SmallResource[]
}

type AddressObject = { value?: Array<{ address?: string; name?: string; group?: unknown[] }> }

function addresses(value: unknown): Address[] {
  const out: Address[] = []
  for (const obj of ([] as AddressObject[]).concat((value as AddressObject | AddressObject[]) ?? [])) {
    for (const a of obj.value ?? []) {
      if (a.group) out.push(...addresses({ value: a.group }))
      else if (a.address?.includes('@')) out.push({ address: a.address, ...(a.name ? { name: a.name } : {}) })
    }
  }
  return out
}

/**
 * What tells an auto-responder not to answer (RFC 3834 §2 and §5, RFC 2369, RFC 2919, RFC 2076): kept
 * from the received header lines as they came (unfolded), so the vacation rules apply to SMTP mail too.
 */
const RESPONDER_HEADERS = ['Auto-Submitted', 'Precedence', 'List-Id', 'List-Unsubscribe', 'List-Post']

function responderHeaders(lines: ReadonlyArray<{ key: string; line: string }>): [string, string][] {
  const out: [string, string][] = []
  for (const name of RESPONDER_HEADERS) {
    const found = lines.find((l) => l.key === name.toLowerCase())
    const value = found?.line
      .slice(found.line.indexOf(':') + 1)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: unfolding and dropping control characters
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .trim()
      .slice(0, 998)
    if (value) out.push([name, value])
  }
  return out
}

const msgIds = (value: unknown): string[] =>
  ([] as unknown[])
    .concat(value ?? [])
    .flatMap((v) => String(v).match(/<[^<>\s]+@[^<>\s]+>/g) ?? [])
    .filter(isMsgId)

/**
 * Turns one MIME message (RFC 5322, RFC 2045–2049) into a Placeholder Message of this domain: every
 * attachment is streamed into the content-addressed store (hashed while written), text and HTML bodies
 * up to 64 KiB are returned (`small`) for the transaction that stores the copies, larger ones written, and
 * the original From, To, Cc, Subject, Date, Message-ID, In-Reply-To and References are kept so the
 * message joins its thread, with the envelope sender as Return-Path and the headers that tell a
 * responder not to answer (Auto-Submitted, Precedence, List-*). No X-Thread-ID is written: the store threads it by In-Reply-To/References.
 * See docs/smtp-bridge.md for what is kept and what is lost.
 */
export async function mimeToPlaceholder(
  source: Readable,
  store: ResourceStore,
  options: { domain: string; maxBytes: number; envelopeFrom: string },
): Promise<ParsedLegacy> {
  const parser = new MailParser({ skipTextToHtml: true, skipImageLinks: true, checksumAlgo: false })
  const attachments: ResourceRef[] = []
  let headers: Map<string, unknown> = new Map()
  let headerLines: Array<{ key: string; line: string }> = []
  let text: string | undefined
  let html: string | undefined
  const pending: Promise<unknown>[] = []
  await new Promise<void>((resolve, reject) => {
    parser.on('headers', (h) => {
      headers = h as Map<string, unknown>
    })
    parser.on('headerLines', (lines) => {
      headerLines = lines as Array<{ key: string; line: string }>
    })
    parser.on('data', (data) => {
      if (data.type === 'text') {
        if (typeof data.text === 'string') text = data.text
        if (typeof data.html === 'string') html = data.html
        return
      }
      const a = data as { content: Readable; contentType: string; filename?: string; release(): void }
      const write = store.write(a.content, { maxBytes: options.maxBytes }).then(({ contentId, size }) => {
        attachments.push({
          contentId,
          size,
          mediaType: mediaTypeOf(a.contentType),
          ...(a.filename ? { filename: a.filename.replace(/[\r\n"\\]/g, '_') } : {}),
        })
        a.release()
      })
      write.catch(() => a.release())
      pending.push(write)
    })
    parser.on('end', resolve)
    parser.on('error', reject)
    source.on('error', reject)
    source.pipe(parser)
  }).catch((e) => {
    if (e instanceof SmtpRefusal) throw e
    throw new SmtpRefusal(554, `5.6.0 The message is not valid MIME: ${(e as Error).message}`)
  })
  await Promise.all(pending)
  const small: SmallResource[] = []
  const bodyRef = async (body: string, mediaType: string): Promise<ResourceRef> => {
    const bytes = Buffer.from(body, 'utf8')
    const kept = keepSmall(bytes, small)
    if (kept) return { ...kept, mediaType }
    const { contentId, size } = await store.write(Readable.from([bytes]), {
      maxBytes: Math.max(1, bytes.length),
    })
    return { contentId, size, mediaType }
  }
  const from = addresses(headers.get('from'))[0] ?? addressOf(options.envelopeFrom)
  const messageId = msgIds(headers.get('message-id'))[0] ?? `<${randomUUID()}@${options.domain}>`
  const inReplyTo = msgIds(headers.get('in-reply-to'))[0]
  const references = msgIds(headers.get('references'))
  const date = headers.get('date')
  const draft = buildDraft({
    from,
    to: addresses(headers.get('to')),
    cc: addresses(headers.get('cc')),
    subject: String(headers.get('subject') ?? ''),
    messageId,
    ...(inReplyTo ? { inReplyTo } : {}),
    ...(references.length ? { references } : {}),
    ...(text !== undefined ? { text: await bodyRef(text, 'text/plain; charset=UTF-8') } : {}),
    ...(html !== undefined ? { html: await bodyRef(html, 'text/html; charset=UTF-8') } : {}),
    attachments,
  })
  const when = date instanceof Date && !Number.isNaN(date.getTime()) ? date : new Date()
  // Return-Path: the envelope sender, as the delivering MTA records it (RFC 5321 §4.4); `<>` for a
  // bounce, which is never answered (RFC 3834 §2).
  const kept = [
    ['Return-Path', options.envelopeFrom.includes('@') ? `<${options.envelopeFrom}>` : '<>'],
    ['Date', formatRfc5322Date(when)],
    ...removeHeaders(originalHeaders(draft), 'X-Thread-ID'),
    ...responderHeaders(headerLines),
  ]
  const message = parsePlaceholderMessage({ envelope: [{ headers: kept }], parts: draft.parts })
  return { message, text: text ?? '', small }
}

function mediaTypeOf(contentType: string | undefined): string {
  const t = (contentType ?? '').toLowerCase()
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(t) ? t : 'application/octet-stream'
}

function addressOf(envelopeFrom: string): Address {
  if (envelopeFrom.includes('@')) return { address: envelopeFrom }
  throw new SmtpRefusal(550, '5.6.0 The message has no From address and the envelope sender is empty')
}
