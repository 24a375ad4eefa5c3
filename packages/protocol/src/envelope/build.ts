import { randomBytes } from 'node:crypto'
import {
  bodyDigest,
  ehThumbprint,
  jwtAssertionDigest,
  RECIPIENTS_KEY,
  RECIPIENTS_SALT,
  recipientsDigest,
  secretFromHeader,
  secretHeaderValue,
} from '../digest/message-digests.ts'
import { ProtocolError } from '../errors.ts'
import { formatAddress, formatAddressList, isAddrSpec, parseAddressList } from '../message/address.ts'
import { formatRfc5322Date } from '../message/date.ts'
import { bracketDigest } from '../message/digest-format.ts'
import { countHeaders, getStringHeader, removeHeaders } from '../message/headers.ts'
import { originalHeaders } from '../message/reader.ts'
import { compactJwsSchema, withFreshBlocks } from '../message/schema.ts'
import type { Address, EnvelopeBlock, Header, PlaceholderMessage } from '../message/types.ts'
import { profileEhl } from './ehl.ts'

/** The `eh` claim a hop assertion signs. */
export interface EnvelopeHeadersClaim {
  eht: string
  ehl: string[]
}

const DOMAIN_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/

function checkDomain(d: string, what: string): string {
  const domain = d.toLowerCase()
  if (!DOMAIN_RE.test(domain))
    throw new ProtocolError('malformed_message', `${what} "${d}" is not a domain name`)
  return domain
}

function topHeaders(m: PlaceholderMessage): Header[] | undefined {
  const top = m.envelope[0]
  return top && 'headers' in top ? top.headers : undefined
}

/** The newest compact JWS of the chain, or undefined when none was pushed yet. */
export function lastAssertion(m: PlaceholderMessage): string | undefined {
  for (const b of m.envelope) if ('jwt-assertion' in b) return b['jwt-assertion']
  return undefined
}

/** The Message-ID of the original block. */
export function messageIdOf(m: PlaceholderMessage): string {
  const id = getStringHeader(originalHeaders(m), 'Message-ID')
  if (id === undefined)
    throw new ProtocolError('malformed_message', 'the original headers have no Message-ID')
  return id
}

/** Every recipient addr-spec of the original block (To, Cc and, in the sender's copy, Bcc). */
export function originalRecipients(m: PlaceholderMessage): string[] {
  const h = originalHeaders(m)
  return ['To', 'Cc', 'Bcc'].flatMap((n) =>
    parseAddressList(getStringHeader(h, n) ?? '').map((a) => a.address),
  )
}

/**
 * Seals a draft for sending: adds Date, Recipients-Digest (To+Cc+Bcc, keyed with a fresh per-message
 * Recipients-Key), Body-Digest, the Recipients-Salt that blinds To and Cc for the AS (when either is
 * present) and the Recipients-Key itself (kept in the sender's copy only: `withoutBcc` removes it) on
 * top of the original block, and returns the `eh` to have signed by the AS (token exchange `headers` =
 * `ehHeaders(originalHeaders(message), eh.ehl)`: no recipient address in it). `salt` and `key` are 32
 * random bytes unless given (vectors fix them).
 * @see docs/protocol.md §2 (Recipients-Digest, eht), §3; RFC 5322 §3.6.1 (Date)
 */
export function sealForSend(
  draft: PlaceholderMessage,
  options: { date: Date; salt?: Uint8Array; key?: Uint8Array },
): { message: PlaceholderMessage; eh: EnvelopeHeadersClaim } {
  if (draft.envelope.length !== 1)
    throw new ProtocolError('invalid_chain', 'only a draft (a single envelope block) can be sealed')
  const h = originalHeaders(draft)
  for (const n of ['Date', 'Recipients-Digest', 'Body-Digest', RECIPIENTS_SALT, RECIPIENTS_KEY]) {
    if (countHeaders(h, n) > 0)
      throw new ProtocolError('malformed_message', `the draft already has ${n}: it was sealed before`)
  }
  const recipients = originalRecipients(draft)
  if (recipients.length === 0)
    throw new ProtocolError('invalid_address', 'the message has no recipient in To, Cc or Bcc')
  const key = options.key ?? randomBytes(32)
  const blinds = countHeaders(h, 'To') + countHeaders(h, 'Cc') > 0
  const headers: Header[] = [
    ['Date', formatRfc5322Date(options.date)],
    ['Recipients-Digest', bracketDigest(recipientsDigest(recipients, key))],
    ['Body-Digest', bracketDigest(bodyDigest(draft.parts))],
    ...(blinds ? [[RECIPIENTS_SALT, secretHeaderValue(options.salt ?? randomBytes(32))] as Header] : []),
    [RECIPIENTS_KEY, secretHeaderValue(key)],
    ...h,
  ]
  const message = withFreshBlocks(draft, [{ headers }], [])
  const ehl = profileEhl(headers, 'origin')
  return { message, eh: { eht: ehThumbprint(headers, ehl), ehl } }
}

/**
 * The origin's re-check at fetch time: does `presented` (a Recipients-Digest header value) equal the
 * keyed digest of every recipient of `sent`, the sender's own copy (Bcc and Recipients-Key in it)?
 * A copy sealed before keyed digests (no Recipients-Key) is checked with the plain digest.
 * @see docs/protocol.md §6 (Fetch ACL)
 */
export function matchesRecipientsDigest(sent: PlaceholderMessage, presented: string): boolean {
  const keyValue = getStringHeader(originalHeaders(sent), RECIPIENTS_KEY)
  const key = keyValue === undefined ? undefined : secretFromHeader(keyValue, RECIPIENTS_KEY)
  return bracketDigest(recipientsDigest(originalRecipients(sent), key)) === presented
}

/**
 * The copy delivered to recipients: Bcc and the Recipients-Key removed from the original block (neither
 * is ever sent; neither is signed, so the eht is the same without them).
 */
export function withoutBcc(m: PlaceholderMessage): PlaceholderMessage {
  const last = m.envelope.length - 1
  return {
    envelope: m.envelope.map((b, i) =>
      i === last && 'headers' in b
        ? { headers: removeHeaders(removeHeaders(b.headers, 'Bcc'), RECIPIENTS_KEY) }
        : b,
    ),
    parts: m.parts,
  }
}

/** Pushes a hop assertion on top of the headers block it signs. */
export function pushAssertion(m: PlaceholderMessage, jws: string): PlaceholderMessage {
  if (!compactJwsSchema.safeParse(jws).success)
    throw new ProtocolError('invalid_jwt', 'the assertion is not a compact JWS')
  if (topHeaders(m) === undefined)
    throw new ProtocolError('invalid_chain', 'the newest block is already an assertion')
  return { envelope: [{ 'jwt-assertion': jws }, ...m.envelope], parts: m.parts }
}

/**
 * Pushes the receiving mailbox's block: Message-ID, JWT-Assertion-Digest of the assertion the message
 * was delivered with, and `Received: from <sender domain> by <receiving domain>; <date>`.
 * `fromDomain` is the domain of the hop's sender address (From, or Forwarded-From).
 */
export function pushReceipt(
  m: PlaceholderMessage,
  options: { fromDomain: string; byDomain: string; date: Date },
): PlaceholderMessage {
  const top = m.envelope[0]
  if (!top || !('jwt-assertion' in top))
    throw new ProtocolError('invalid_chain', 'a receipt goes on top of an assertion')
  const from = checkDomain(options.fromDomain, 'fromDomain')
  const by = checkDomain(options.byDomain, 'byDomain')
  const block: EnvelopeBlock = {
    headers: [
      ['Message-ID', messageIdOf(m)],
      ['JWT-Assertion-Digest', bracketDigest(jwtAssertionDigest(top['jwt-assertion']))],
      ['Received', `from ${from} by ${by}; ${formatRfc5322Date(options.date)}`],
    ],
  }
  return withFreshBlocks(m, [block], m.envelope)
}

/**
 * Turns the newest receipt block into a forwarding block (Forwarded-From, Forwarded-To,
 * Recipients-Digest of Forwarded-To, Date) and returns the `eh` for the forwarder's new assertion.
 * @see docs/protocol.md §3 (Forward)
 */
export function addForwarding(
  m: PlaceholderMessage,
  options: { forwardedFrom: Address; forwardedTo: Address[]; date: Date },
): { message: PlaceholderMessage; eh: EnvelopeHeadersClaim } {
  const top = topHeaders(m)
  if (top === undefined || m.envelope.length < 3) {
    throw new ProtocolError('invalid_chain', 'forwarding needs a delivered message (a receipt block on top)')
  }
  if (countHeaders(top, 'Forwarded-From') > 0)
    throw new ProtocolError('invalid_chain', 'the newest block is already a forwarding block')
  if (options.forwardedTo.length === 0)
    throw new ProtocolError('invalid_address', 'Forwarded-To needs at least one address')
  for (const a of [options.forwardedFrom, ...options.forwardedTo]) {
    if (!isAddrSpec(a.address))
      throw new ProtocolError('invalid_address', `"${a.address}" is not local@domain`)
  }
  const headers: Header[] = [
    ['Date', formatRfc5322Date(options.date)],
    ['Recipients-Digest', bracketDigest(recipientsDigest(options.forwardedTo.map((a) => a.address)))],
    ['Forwarded-To', formatAddressList(options.forwardedTo)],
    ['Forwarded-From', formatAddress(options.forwardedFrom)],
    ...top,
  ]
  const message = withFreshBlocks(m, [{ headers }], m.envelope.slice(1))
  const ehl = profileEhl(headers, 'forward')
  return { message, eh: { eht: ehThumbprint(headers, ehl), ehl } }
}
