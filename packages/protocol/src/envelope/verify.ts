import { decodeJwt } from 'jose'
import { bodyDigest, ehThumbprint, jwtAssertionDigest, recipientsDigest } from '../digest/message-digests.ts'
import { isProtocolError } from '../errors.ts'
import { type HopAssertionClaims, verifyHopAssertion } from '../jose/hop-assertion.ts'
import type { KeyResolver } from '../jose/jwt.ts'
import { domainOf, parseAddressList } from '../message/address.ts'
import { unbracketDigest } from '../message/digest-format.ts'
import { countHeaders, getStringHeader, sameName } from '../message/headers.ts'
import { LIMITS } from '../message/limits.ts'
import type { Header, PlaceholderMessage } from '../message/types.ts'
import { parseReceived } from '../message/validate.ts'
import { FORWARD_EHL_REQUIRED, ORIGIN_EHL_REQUIRED, UNSIGNED_ALLOWED } from './ehl.ts'

/** Stable codes of a failed hop (plus any ProtocolError code from token verification or checkHop). */
export type HopFailureCode =
  | 'malformed_chain'
  | 'missing_assertion'
  | 'too_large'
  | 'missing_header'
  | 'message_id_mismatch'
  | 'body_digest_mismatch'
  | 'recipients_digest_mismatch'
  | 'assertion_link_mismatch'
  | 'received_mismatch'
  | 'ehl_incomplete'
  | 'eht_mismatch'
  | 'unsigned_header'
  | 'unsalted_recipients'
  | 'hop_rejected'
  | (string & {})

export interface HopResult {
  /** 0 = the origin hop; n = the n-th forwarding hop. */
  index: number
  kind: 'origin' | 'forward'
  iss?: string
  azp?: string
  sub?: string
  /** The hop sender's addr-spec: From (origin) or Forwarded-From (forward). */
  senderAddress?: string
  /** Domain of senderAddress, lower-cased: the domain whose AS must have issued the assertion. */
  senderDomain?: string
  /** Forwarding hops: the Forwarded-To addr-specs. */
  forwardedTo?: string[]
  status: 'pass' | 'fail'
  code?: HopFailureCode
  reason?: string
}

export interface ChainVerification {
  ok: boolean
  hops: HopResult[]
}

/** What `checkHop` sees for a hop that passed every local check. */
export interface HopContext {
  index: number
  kind: 'origin' | 'forward'
  iss: string
  azp: string
  sub: string
  senderAddress: string
  senderDomain: string
  forwardedTo?: string[]
  claims: HopAssertionClaims
  /** The header block the assertion signs. */
  headers: Header[]
}

export interface VerifyChainOptions {
  /** The key resolver of an issuer (through discovery + JWKS). May throw ProtocolError. */
  resolveKey: (iss: string) => KeyResolver
  /** Seconds since the epoch. */
  now: number
  /** Extra checks (issuer/azp discovery); throw ProtocolError to fail the hop. Called only for hops that passed. */
  checkHop?: (hop: HopContext) => Promise<void>
  /** Check `exp` of the newest assertion (accepting a delivery); older hops never check `exp`. */
  lastHopMustBeFresh?: boolean
}

class HopFailure extends Error {
  constructor(
    readonly code: HopFailureCode,
    reason: string,
  ) {
    super(reason)
  }
}

const hopFail = (code: HopFailureCode, reason: string): never => {
  throw new HopFailure(code, reason)
}

function requireHeader(headers: readonly Header[], name: string): string {
  if (countHeaders(headers, name) !== 1) hopFail('missing_header', `the block needs exactly one ${name}`)
  const v = getStringHeader(headers, name)
  if (v === undefined) return hopFail('missing_header', `${name} must be a string`)
  return v
}

function requireDigest(headers: readonly Header[], name: string): string {
  const d = unbracketDigest(requireHeader(headers, name))
  return d ?? hopFail('missing_header', `${name} is not a <digest>`)
}

/** The last character of a base64url segment may not carry non-zero unused bits (RFC 4648 §3.5). */
function isCanonicalBase64url(segment: string): boolean {
  const rem = segment.length % 4
  const last = segment.at(-1) ?? ''
  if (rem === 1) return false
  if (rem === 2) return 'AQgw'.includes(last)
  if (rem === 3) return 'AEIMQUYcgkosw048'.includes(last)
  return true
}

function toFailure(e: unknown, fallback: HopFailureCode): HopFailure {
  if (e instanceof HopFailure) return e
  if (isProtocolError(e)) return new HopFailure(e.code, e.message)
  return new HopFailure(fallback, e instanceof Error ? e.message : String(e))
}

interface HopInput {
  index: number
  headers: Header[]
  jws: string
  previousJws?: string
  previousSenderDomain?: string
  messageId: string
  m: PlaceholderMessage
  isNewest: boolean
}

async function verifyHop(input: HopInput, options: VerifyChainOptions, result: HopResult): Promise<void> {
  const { headers, jws, index } = input
  const kind = result.kind
  if (requireHeader(headers, 'Message-ID') !== input.messageId) {
    hopFail('message_id_mismatch', `the Message-ID of hop ${index} differs from the original one`)
  }
  const senderHeader = kind === 'origin' ? 'From' : 'Forwarded-From'
  const sender = parseAddressList(requireHeader(headers, senderHeader))[0]
  if (sender === undefined) return hopFail('missing_header', `${senderHeader} is empty`)
  result.senderAddress = sender.address
  result.senderDomain = domainOf(sender.address)
  const rd = requireDigest(headers, 'Recipients-Digest')
  requireHeader(headers, 'Date')
  if (kind === 'origin') {
    if (requireDigest(headers, 'Body-Digest') !== bodyDigest(input.m.parts)) {
      hopFail('body_digest_mismatch', 'Body-Digest does not match the body parts')
    }
    // To and Cc reach the AS blinded with the salt (docs/protocol.md §2): a chain signed over them in
    // clear, or with the salt stripped, is refused rather than hashed as it stands.
    const named = countHeaders(headers, 'To') + countHeaders(headers, 'Cc') > 0
    if (named && countHeaders(headers, 'Recipients-Salt') === 0) {
      hopFail(
        'unsalted_recipients',
        'the original block names To or Cc but carries no Recipients-Salt: chains signed over unblinded recipients are not accepted',
      )
    }
  } else {
    const received = parseReceived(requireHeader(headers, 'Received'))
    if (received === undefined) return hopFail('missing_header', 'Received is malformed')
    if (received.from !== input.previousSenderDomain) {
      hopFail('received_mismatch', `Received names "${received.from}", not the previous hop's sender domain`)
    }
    if (received.by !== result.senderDomain) {
      hopFail('received_mismatch', `Forwarded-From's domain is not the receiving domain "${received.by}"`)
    }
    if (requireDigest(headers, 'JWT-Assertion-Digest') !== jwtAssertionDigest(input.previousJws ?? '')) {
      hopFail(
        'assertion_link_mismatch',
        `JWT-Assertion-Digest of hop ${index} does not match the previous assertion`,
      )
    }
    const forwardedTo = parseAddressList(requireHeader(headers, 'Forwarded-To')).map((a) => a.address)
    result.forwardedTo = forwardedTo
    if (rd !== recipientsDigest(forwardedTo)) {
      hopFail('recipients_digest_mismatch', 'Recipients-Digest is not the digest of Forwarded-To')
    }
  }
  if (!jws.split('.').every(isCanonicalBase64url))
    hopFail('invalid_jwt', 'the assertion is not canonical base64url')
  let iss: unknown
  try {
    iss = decodeJwt(jws).iss
  } catch (e) {
    hopFail('invalid_jwt', `the assertion payload cannot be decoded: ${(e as Error).message}`)
  }
  if (typeof iss !== 'string' || iss === '') return hopFail('invalid_jwt', 'the assertion has no "iss"')
  result.iss = iss
  const { claims } = await verifyHopAssertion(jws, {
    resolveKey: options.resolveKey(iss),
    now: options.now,
    issuer: iss,
    checkExpiry: options.lastHopMustBeFresh === true && input.isNewest,
  })
  result.azp = claims.azp
  result.sub = claims.sub
  const ehl = claims.eh.ehl
  const required = kind === 'origin' ? ORIGIN_EHL_REQUIRED : FORWARD_EHL_REQUIRED
  const missing = required.filter((n) => !ehl.some((e) => sameName(e, n)))
  if (missing.length > 0) hopFail('ehl_incomplete', `ehl lacks ${missing.join(', ')}`)
  for (const [n, v] of headers) {
    if (ehl.some((e) => sameName(e, n))) continue
    if (!UNSIGNED_ALLOWED[kind].some((u) => u === n)) {
      hopFail('unsigned_header', `header "${n}" of hop ${index} is not covered by the assertion`)
    }
    // An unsigned original Content-Type can only be the fixed one (Received is pinned above).
    if (n === 'Content-Type' && v !== 'multipart/mixed') {
      hopFail('unsigned_header', 'the unsigned original Content-Type must be exactly multipart/mixed')
    }
    // The salt is bound only through the To/Cc values it blinds: with neither signed it binds nothing.
    if (n === 'Recipients-Salt' && !ehl.some((e) => sameName(e, 'To') || sameName(e, 'Cc'))) {
      hopFail('unsigned_header', 'Recipients-Salt is present but the assertion signs neither To nor Cc')
    }
  }
  let eht: string
  try {
    eht = ehThumbprint(headers, ehl)
  } catch (e) {
    return hopFail('eht_mismatch', (e as Error).message)
  }
  if (eht !== claims.eh.eht)
    hopFail('eht_mismatch', `the headers of hop ${index} do not match the signed eht`)
  if (options.checkHop) {
    const ctx: HopContext = {
      index,
      kind,
      iss,
      azp: claims.azp,
      sub: claims.sub,
      senderAddress: result.senderAddress,
      senderDomain: result.senderDomain,
      claims,
      headers,
    }
    if (result.forwardedTo) ctx.forwardedTo = result.forwardedTo
    try {
      await options.checkHop(ctx)
    } catch (e) {
      throw toFailure(e, 'hop_rejected')
    }
  }
}

function checkTopReceipt(
  headers: Header[],
  newestJws: string,
  messageId: string,
  senderDomain: string | undefined,
): void {
  if (requireHeader(headers, 'Message-ID') !== messageId)
    hopFail('message_id_mismatch', 'the newest receipt has another Message-ID')
  if (requireDigest(headers, 'JWT-Assertion-Digest') !== jwtAssertionDigest(newestJws)) {
    hopFail('assertion_link_mismatch', 'the newest receipt does not name the newest assertion')
  }
  const received = parseReceived(requireHeader(headers, 'Received'))
  if (received === undefined) hopFail('missing_header', 'the newest Received is malformed')
  if (senderDomain !== undefined && received?.from !== senderDomain) {
    hopFail('received_mismatch', `the newest Received does not name the sender domain "${senderDomain}"`)
  }
  if (countHeaders(headers, 'Forwarded-From') > 0 || countHeaders(headers, 'Forwarded-To') > 0) {
    hopFail('malformed_chain', 'the newest block forwards the message but carries no assertion')
  }
}

/**
 * Verifies a whole envelope chain, oldest hop first, like ARC's chain validation: block order, every
 * signature (through `resolveKey(iss)`), every eht over the block beneath its assertion, the
 * JWT-Assertion-Digest links, Message-ID consistency, forwarding Recipients-Digest, hop cap. Never throws
 * on bad input: each hop gets `pass` or `fail` with a code and reason; `ok` only if every hop passed.
 * @see RFC 8617 §5.2 (ARC chain validation, the model), docs/protocol.md §3
 */
export async function verifyChain(
  m: PlaceholderMessage,
  options: VerifyChainOptions,
): Promise<ChainVerification> {
  if (!m || !Array.isArray(m.envelope) || !Array.isArray(m.parts)) {
    return {
      ok: false,
      hops: [
        {
          index: 0,
          kind: 'origin',
          status: 'fail',
          code: 'malformed_chain',
          reason: 'not a Placeholder Message',
        },
      ],
    }
  }
  const blocks = [...m.envelope].reverse()
  const assertions = blocks.filter((b) => 'jwt-assertion' in b).length
  const single = (r: HopResult): ChainVerification => ({ ok: false, hops: [r] })
  if (assertions > LIMITS.maxHops) {
    return single({
      index: LIMITS.maxHops,
      kind: 'forward',
      status: 'fail',
      code: 'too_large',
      reason: `more than ${LIMITS.maxHops} hops`,
    })
  }
  const original = blocks[0]
  const messageId =
    original && 'headers' in original ? getStringHeader(original.headers, 'Message-ID') : undefined
  if (messageId === undefined) {
    return single({
      index: 0,
      kind: 'origin',
      status: 'fail',
      code: 'malformed_chain',
      reason: 'the oldest block must be the original headers with a Message-ID',
    })
  }
  if (assertions === 0) {
    return single({
      index: 0,
      kind: 'origin',
      status: 'fail',
      code: 'missing_assertion',
      reason: 'the message carries no hop assertion (not sent yet)',
    })
  }
  const hops: HopResult[] = []
  for (let h = 0; 2 * h + 1 < blocks.length; h++) {
    const headerBlock = blocks[2 * h]
    const assertionBlock = blocks[2 * h + 1]
    const result: HopResult = { index: h, kind: h === 0 ? 'origin' : 'forward', status: 'pass' }
    hops.push(result)
    try {
      if (
        !headerBlock ||
        !('headers' in headerBlock) ||
        !assertionBlock ||
        !('jwt-assertion' in assertionBlock)
      ) {
        hopFail(
          'malformed_chain',
          `blocks of hop ${h} are out of order (expected headers, then its assertion)`,
        )
      }
      const previous = blocks[2 * h - 1]
      await verifyHop(
        {
          index: h,
          headers: (headerBlock as { headers: Header[] }).headers,
          jws: (assertionBlock as { 'jwt-assertion': string })['jwt-assertion'],
          previousJws: previous && 'jwt-assertion' in previous ? previous['jwt-assertion'] : undefined,
          previousSenderDomain: hops[h - 1]?.senderDomain,
          messageId,
          m,
          isNewest: 2 * h + 3 >= blocks.length,
        },
        options,
        result,
      )
    } catch (e) {
      const f = toFailure(e, 'malformed_chain')
      result.status = 'fail'
      result.code = f.code
      result.reason = f.message
      if (f.code === 'malformed_chain') break
    }
  }
  const top = blocks.length % 2 === 1 && blocks.length > 1 ? blocks.at(-1) : undefined
  const last = hops.at(-1)
  if (top && 'jwt-assertion' in top && hops.length === (blocks.length - 1) / 2) {
    // An assertion with no header block of its own beneath it (e.g. a forwarding block removed).
    hops.push({
      index: hops.length,
      kind: 'forward',
      status: 'fail',
      code: 'malformed_chain',
      reason: `the assertion of hop ${hops.length} has no header block beneath it`,
    })
  } else if (top && last && last.status === 'pass') {
    try {
      const newest = blocks.at(-2)
      if (!('headers' in top) || !newest || !('jwt-assertion' in newest)) {
        hopFail('malformed_chain', 'the newest block must be a receipt on top of an assertion')
      }
      checkTopReceipt(
        (top as { headers: Header[] }).headers,
        (newest as { 'jwt-assertion': string })['jwt-assertion'],
        messageId,
        last.senderDomain,
      )
    } catch (e) {
      const f = toFailure(e, 'malformed_chain')
      last.status = 'fail'
      last.code = f.code
      last.reason = f.message
    }
  }
  return { ok: hops.length > 0 && hops.every((h) => h.status === 'pass'), hops }
}
