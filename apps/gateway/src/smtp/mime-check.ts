import { isUtf8 } from 'node:buffer'
import type { Readable } from 'node:stream'
import { type MimeNode, Splitter, type SplitterChunk } from '@zone-eu/mailsplit'
import { SmtpRefusal } from './spool.ts'

/** Deepest nesting of multipart bodies accepted (real mail rarely goes past 4). */
const MAX_MIME_DEPTH = 12

/**
 * Most bytes (as sent, encoded) of all text/plain and text/html body parts together: mailparser holds
 * the text and HTML bodies in memory as strings, so they are bounded on their own; attachments stream.
 */
export const MAX_TEXT_BODY_BYTES = 8 * 1024 * 1024

/** The transfer encodings of RFC 2045 §6.1; any other leaves the part undecodable. */
const ENCODINGS = new Set(['', '7bit', '8bit', 'binary', 'base64', 'quoted-printable'])
const FIELD_NAME = /^[!-9;-~]+$/ // RFC 5322 §2.2: printable US-ASCII except ":"
const NOT_BASE64 = /[^A-Za-z0-9+/=\r\n\t ]/ // RFC 2045 §6.8 alphabet, plus line breaks
/** "=" must start a soft line break or two hex digits (RFC 2045 §6.7 rules 1 and 5). */
const BAD_QP = /=(?![0-9A-Fa-f]{2}|[ \t]*\r?\n)/

const malformed = (what: string) => new SmtpRefusal(554, `5.6.0 Malformed MIME: ${what}`)
const broken = (what: string) => new SmtpRefusal(554, `5.6.0 Broken encoding: ${what}`)

function depth(node: MimeNode): number {
  let d = 0
  for (let n = node.parentNode; n; n = n.parentNode) d++
  return d
}

/**
 * Reads the spooled message once with mailsplit (the MIME splitter of mailparser), before anything is
 * stored, and refuses what cannot become a faithful Placeholder Message: a header line without a field
 * name (RFC 5322 §2.2), header bytes that are not UTF-8 (RFC 6532 §3.2), a multipart body without a
 * boundary or without any body part (RFC 2046 §5.1.1), nesting deeper than {@link MAX_MIME_DEPTH}, an
 * unknown Content-Transfer-Encoding, base64 outside its alphabet or a quoted-printable "=" that is not
 * an escape (RFC 2045 §6.7–6.8), and a message with no From when the envelope sender is empty too.
 * A message that ends without its closing delimiter is accepted: the parts it carries are kept.
 */
export async function checkMime(source: Readable, o: { envelopeFrom: string }): Promise<void> {
  const splitter = new Splitter({ maxChildNodes: 256 })
  const children = new Map<MimeNode, number>()
  const multiparts: MimeNode[] = []
  let current: MimeNode | undefined
  let qpTail = ''
  let textBytes = 0
  const onChunk = (chunk: SplitterChunk) => {
    if (chunk.type === 'node') {
      current = chunk
      qpTail = ''
      checkNode(chunk, o.envelopeFrom)
      if (chunk.multipart) multiparts.push(chunk)
      if (chunk.parentNode) children.set(chunk.parentNode, (children.get(chunk.parentNode) ?? 0) + 1)
      return
    }
    if (chunk.type !== 'body' || !current) return
    if (isTextBody(current)) textBytes += chunk.value.length
    if (textBytes > MAX_TEXT_BODY_BYTES)
      throw new SmtpRefusal(
        552,
        `5.3.4 The text of the message is too long (at most ${MAX_TEXT_BODY_BYTES} bytes); send long content as an attachment`,
      )
    if (current.encoding === 'base64' && NOT_BASE64.test(chunk.value.toString('latin1')))
      throw broken('a base64 part holds characters outside the base64 alphabet (RFC 2045 §6.8)')
    if (current.encoding === 'quoted-printable') {
      const text = qpTail + chunk.value.toString('latin1')
      // An escape or soft line break cut by the chunk's end is judged with the next chunk.
      const cut = /=[0-9A-Fa-f]?$|=[ \t]*\r?$/.exec(text)
      qpTail = cut ? text.slice(cut.index) : ''
      if (BAD_QP.test(cut ? text.slice(0, cut.index) : text))
        throw broken('a quoted-printable part has an "=" that is not an escape (RFC 2045 §6.7)')
    }
  }
  let readError: unknown
  source.on('error', (e) => {
    readError = e
    splitter.destroy(e)
  })
  try {
    for await (const chunk of source.pipe(splitter) as AsyncIterable<SplitterChunk>) onChunk(chunk)
  } catch (e) {
    if (e instanceof SmtpRefusal || readError) throw e // a spool read error is ours: 451, retried
    throw malformed((e as Error).message)
  } finally {
    source.destroy()
  }
  for (const m of multiparts)
    if (!children.get(m)) throw malformed(`a ${m.contentType} body has no body part (RFC 2046 §5.1.1)`)
}

/** A part mailparser turns into the message's text or HTML (not an attachment). */
const isTextBody = (n: MimeNode) =>
  (n.contentType === 'text/plain' || n.contentType === 'text/html') && n.disposition !== 'attachment'

function checkNode(node: MimeNode, envelopeFrom: string) {
  if (!node.headers) return
  const lines = node.headers.getList()
  if (lines.some((l) => !FIELD_NAME.test(l.key)))
    throw malformed(
      node.root
        ? 'the header section has a line that is not a header field (RFC 5322 §2.2)'
        : 'a body part has a header line that is not a header field (RFC 5322 §2.2)',
    )
  if (!isUtf8(node.headers.build()))
    throw broken('a header holds 8-bit bytes that are not UTF-8 (RFC 6532 §3.2)')
  if (!ENCODINGS.has(node.encoding || ''))
    throw broken(`unknown Content-Transfer-Encoding "${String(node.encoding).slice(0, 40)}" (RFC 2045 §6.1)`)
  if (node.multipart && !node._boundary)
    throw malformed(`a ${node.contentType} body has no boundary parameter (RFC 2046 §5.1.1)`)
  if (depth(node) > MAX_MIME_DEPTH) throw malformed(`more than ${MAX_MIME_DEPTH} nested body parts`)
  if (node.root && !envelopeFrom && !lines.some((l) => l.key === 'from' && l.line.includes('@')))
    throw new SmtpRefusal(550, '5.6.0 The message has no From address and the envelope sender is empty')
}
