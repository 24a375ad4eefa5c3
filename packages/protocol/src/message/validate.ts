import { ProtocolError } from '../errors.ts'
import { parseAddressList } from './address.ts'
import { isMediaType, parseExternalBody } from './content-type.ts'
import { parseRfc5322Date } from './date.ts'
import { unbracketDigest } from './digest-format.ts'
import { countHeaders, sameName } from './headers.ts'
import { LIMITS } from './limits.ts'
import type { Header, Part, PlaceholderMessage } from './types.ts'

/** Headers whose value is a `<digest>`. */
export const DIGEST_HEADERS = [
  'Content-ID',
  'Body-Digest',
  'Recipients-Digest',
  'JWT-Assertion-Digest',
  'Recipients-Salt',
  'Recipients-Key',
] as const
/** Headers holding address lists; the single-mailbox ones are listed in SINGLE_MAILBOX_HEADERS. */
export const ADDRESS_HEADERS = [
  'From',
  'To',
  'Cc',
  'Bcc',
  'Reply-To',
  'Forwarded-From',
  'Forwarded-To',
] as const
const SINGLE_MAILBOX_HEADERS = ['From', 'Forwarded-From']
/** Headers that may appear at most once in a header block (RFC 5322 §3.6 plus this profile's own). */
export const SINGLETON_HEADERS = [
  'From',
  'To',
  'Cc',
  'Bcc',
  'Reply-To',
  'Subject',
  'Date',
  'Message-ID',
  'X-Thread-ID',
  'In-Reply-To',
  'References',
  'Content-Type',
  'Recipients-Digest',
  'Body-Digest',
  'JWT-Assertion-Digest',
  'Forwarded-From',
  'Forwarded-To',
  'Received',
  'Recipients-Salt',
  'Recipients-Key',
] as const

const MSG_ID = /^<[^<>\s@]+@[^<>\s@]+>$/
const lowerSet = (names: readonly string[]) => new Set(names.map((n) => n.toLowerCase()))
const DIGEST_SET = lowerSet(DIGEST_HEADERS)
const ADDRESS_SET = lowerSet(ADDRESS_HEADERS)
const SINGLE_MAILBOX_SET = lowerSet(SINGLE_MAILBOX_HEADERS)
const SINGLETON_SET = lowerSet(SINGLETON_HEADERS)
const PART_SINGLETON_SET = lowerSet(['Content-Type', 'Content-ID', 'Content-Disposition'])
const MSG_ID_SET = lowerSet(['Message-ID', 'In-Reply-To', 'X-Thread-ID'])

/** A `<left@right>` msg-id (RFC 5322 §3.6.4), the form of Message-ID, In-Reply-To and X-Thread-ID. */
export function isMsgId(s: string): boolean {
  return s.length <= 998 && MSG_ID.test(s)
}

/** Splits a References value into msg-ids; undefined when any element is not one. */
export function parseMsgIdList(s: string): string[] | undefined {
  const ids = s.trim().split(/\s+/)
  return ids.length > 0 && ids.every(isMsgId) ? ids : undefined
}

const RECEIVED_RE = /^from (\S+) by (\S+); (.+)$/

/** Reads `from <domain> by <domain>; <RFC 5322 date>` (the profile's Received); domains kept as written. */
export function parseReceived(s: string): { from: string; by: string; date: Date } | undefined {
  const m = RECEIVED_RE.exec(s)
  if (!m) return undefined
  const date = parseRfc5322Date(m[3]!)
  return date ? { from: m[1]!, by: m[2]!, date } : undefined
}

function fail(
  code: 'malformed_message' | 'invalid_digest' | 'invalid_address' | 'too_large',
  where: string,
  why: string,
): never {
  throw new ProtocolError(code, `invalid Placeholder Message at ${where}: ${why}`)
}

function checkHeader(name: string, value: Header[1], where: () => string, inPart: boolean): void {
  const lower = name.toLowerCase()
  if (typeof value !== 'string') {
    if (!inPart || lower !== 'content-type')
      fail('malformed_message', where(), `${name} cannot have a list value`)
    return
  }
  if (DIGEST_SET.has(lower) && unbracketDigest(value) === undefined) {
    fail(
      'invalid_digest',
      where(),
      `${name} must be <43 base64url characters of a SHA-256 digest>, got "${value.slice(0, 60)}"`,
    )
  }
  if (ADDRESS_SET.has(lower)) {
    let list: ReturnType<typeof parseAddressList>
    try {
      list = parseAddressList(value)
    } catch (e) {
      fail('invalid_address', where(), `${name}: ${(e as Error).message}`)
    }
    if (list.length === 0) fail('invalid_address', where(), `${name} is empty`)
    if (SINGLE_MAILBOX_SET.has(lower) && list.length !== 1) {
      fail('invalid_address', where(), `${name} must hold one mailbox`)
    }
  }
  if (MSG_ID_SET.has(lower) && !isMsgId(value)) {
    fail('malformed_message', where(), `${name} must be <id@domain>, got "${value.slice(0, 60)}"`)
  }
  if (lower === 'references' && parseMsgIdList(value) === undefined) {
    fail('malformed_message', where(), 'References must be space-separated <id@domain> values')
  }
  if (lower === 'date' && parseRfc5322Date(value) === undefined) {
    fail(
      'malformed_message',
      where(),
      `Date must be an RFC 5322 date such as "Sun, 22 Dec 2024 20:49:35 +0000"`,
    )
  }
  if (lower === 'received' && parseReceived(value) === undefined) {
    fail('malformed_message', where(), 'Received must be "from <domain> by <domain>; <RFC 5322 date>"')
  }
}

function checkBlockHeaders(headers: readonly Header[], where: string, inPart: boolean): void {
  const singletons = inPart ? PART_SINGLETON_SET : SINGLETON_SET
  const seen = new Set<string>()
  headers.forEach(([name, value], i) => {
    checkHeader(name, value, () => `${where}.headers[${i}]`, inPart)
    const lower = name.toLowerCase()
    if (singletons.has(lower)) {
      if (seen.has(lower)) fail('malformed_message', where, `${name} appears more than once`)
      seen.add(lower)
    }
  })
}

function checkParts(parts: readonly Part[], where: string, depth: number, counter: { n: number }): void {
  if (depth > LIMITS.maxPartDepth) fail('too_large', where, `parts nested deeper than ${LIMITS.maxPartDepth}`)
  parts.forEach((part, i) => {
    const at = `${where}[${i}]`
    counter.n++
    if (counter.n > LIMITS.maxParts) fail('too_large', at, `more than ${LIMITS.maxParts} parts`)
    checkBlockHeaders(part.headers, at, true)
    const ct = part.headers.find(([n]) => sameName(n, 'Content-Type'))?.[1]
    if (part.parts !== undefined) {
      if (typeof ct !== 'string' || !/^multipart\/[A-Za-z0-9.+-]+(\s*;.*)?$/i.test(ct)) {
        fail('malformed_message', at, 'a part with children needs Content-Type: multipart/…')
      }
      if (part.parts.length === 0) fail('malformed_message', at, 'a multipart part has no children')
      checkParts(part.parts, `${at}.parts`, depth + 1, counter)
      return
    }
    if (!Array.isArray(ct)) {
      fail(
        'malformed_message',
        at,
        'a leaf needs the Content-Type pair [message/external-body; …; size=N, media type]',
      )
    }
    try {
      parseExternalBody(ct[0])
    } catch (e) {
      fail('malformed_message', at, (e as Error).message)
    }
    if (!isMediaType(ct[1])) fail('malformed_message', at, `"${ct[1].slice(0, 60)}" is not a media type`)
    if (countHeaders(part.headers, 'Content-ID') !== 1)
      fail('malformed_message', at, 'a leaf needs one Content-ID')
  })
}

/**
 * Cross-field rules of the model (the zod shape checks the rest): the oldest block holds the original
 * headers with one From and one Message-ID; digests, addresses, msg-ids and dates are well-formed; leaves
 * carry a parsable external-body pair; limits on depth, count and serialized size hold.
 */
export function validateMessage(m: PlaceholderMessage): void {
  const original = m.envelope.at(-1)
  if (original === undefined || !('headers' in original)) {
    fail('malformed_message', 'envelope', 'the oldest (last) block must be the original headers block')
  }
  m.envelope.forEach((block, i) => {
    if ('headers' in block) checkBlockHeaders(block.headers, `envelope[${i}]`, false)
  })
  const where = `envelope[${m.envelope.length - 1}]`
  if (countHeaders(original.headers, 'From') !== 1)
    fail('malformed_message', where, 'the original headers need one From')
  if (countHeaders(original.headers, 'Message-ID') !== 1) {
    fail('malformed_message', where, 'the original headers need one Message-ID')
  }
  const ct = original.headers.find(([n]) => sameName(n, 'Content-Type'))?.[1]
  if (ct !== undefined && (typeof ct !== 'string' || ct.trim().toLowerCase() !== 'multipart/mixed')) {
    fail('malformed_message', where, 'the original Content-Type must be multipart/mixed')
  }
  checkParts(m.parts, 'parts', 1, { n: 0 })
  const bytes = new TextEncoder().encode(JSON.stringify(m)).length
  if (bytes > LIMITS.maxMessageBytes) {
    fail('too_large', 'message', `${bytes} bytes serialized, more than the ${LIMITS.maxMessageBytes} allowed`)
  }
}
