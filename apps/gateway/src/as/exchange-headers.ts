import type { Header } from '@federizer/protocol'
import { OAuthError } from './errors.ts'

/** Which headers a hop assertion may cover, per token-exchange mode (docs/protocol.md §3, §7 ehl rows). */
export interface HeaderRule {
  required: readonly string[]
  optional: readonly string[]
}

/**
 * Mode 1 (send): the original block. To/Cc are signed (tamper evidence) but only blinded, as
 * `<HMAC(salt, value)>` (docs/protocol.md §2): the AS never sees a recipient address. Bcc never.
 */
export const SEND_HEADERS: HeaderRule = {
  required: ['Message-ID', 'From', 'Recipients-Digest', 'Body-Digest'],
  optional: [
    'Date',
    'Subject',
    'To',
    'Cc',
    'X-Thread-ID',
    'In-Reply-To',
    'References',
    'Content-Type',
    'Auto-Submitted',
    'List-Id',
    'Precedence',
  ],
}

/**
 * Mode 2b (auto-reply): the vacation reply's original block (To blinded, as in send), signed for the
 * user who received the message it answers (In-Reply-To).
 */
export const AUTO_REPLY_HEADERS: HeaderRule = {
  required: [
    'Message-ID',
    'From',
    'To',
    'In-Reply-To',
    'Auto-Submitted',
    'Recipients-Digest',
    'Body-Digest',
    'Date',
  ],
  optional: ['Subject', 'X-Thread-ID', 'References', 'Content-Type'],
}

/**
 * Mode 2 (forward): the forwarder's top block. Date is required (every block's Date is verified and must
 * be signed, docs/protocol.md §3); Received is signed when the block carries it (it always does in this
 * profile; a verifier still pins an unsigned one, §3).
 */
export const FORWARD_HEADERS: HeaderRule = {
  required: [
    'Message-ID',
    'Forwarded-From',
    'Forwarded-To',
    'Recipients-Digest',
    'JWT-Assertion-Digest',
    'Date',
  ],
  optional: ['Received'],
}

const DIGEST_HEADERS = new Set(['recipients-digest', 'body-digest', 'jwt-assertion-digest'])
/** Recipient headers of the send mode: accepted only blinded (a `<digest>`), never as addresses. */
const BLINDED_HEADERS = new Set(['to', 'cc'])
/** Address headers may repeat in a block (RFC 5322 allows it for none, but the model keeps duplicates). */
const REPEATABLE = new Set(['to', 'cc'])
const MAX_HEADERS = 32
const MAX_VALUE = 4096
/** Unstructured headers that may be empty: a message without a subject is legal mail (RFC 5322 §3.6.5). */
const MAY_BE_EMPTY = new Set(['subject'])

/** Parsed `headers` parameter: the pairs as given (their order is the ehl order), with lookup by name. */
export interface SignedHeaders {
  pairs: Header[]
  ehl: string[]
  get(name: string): string
}

/**
 * Parses and checks the `headers` form parameter (a JSON array of `[name, value]` string pairs): every
 * required name present once, nothing outside the mode's list, digests in `<…>` form, no line breaks.
 * The pairs' order is the `ehl` the assertion will carry.
 */
export function parseSignedHeaders(raw: string | undefined, rule: HeaderRule): SignedHeaders {
  if (raw === undefined)
    throw new OAuthError(
      'invalid_request',
      'the "headers" parameter (JSON array of [name, value]) is required',
    )
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    throw new OAuthError('invalid_request', '"headers" is not valid JSON')
  }
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_HEADERS) {
    throw new OAuthError(
      'invalid_request',
      `"headers" must be a JSON array of 1 to ${MAX_HEADERS} [name, value] pairs`,
    )
  }
  const allowed = new Map([...rule.required, ...rule.optional].map((n) => [n.toLowerCase(), n]))
  const byName = new Map<string, string>()
  const pairs: Header[] = []
  for (const entry of value) {
    if (
      !Array.isArray(entry) ||
      entry.length !== 2 ||
      typeof entry[0] !== 'string' ||
      typeof entry[1] !== 'string'
    ) {
      throw new OAuthError('invalid_request', '"headers" entries must be [name, value] pairs of strings')
    }
    const [name, headerValue] = entry as [string, string]
    const key = name.toLowerCase()
    if (!allowed.has(key)) {
      throw new OAuthError(
        'invalid_request',
        `header "${name.slice(0, 64)}" may not be signed in this exchange`,
      )
    }
    const previous = pairs.at(-1)?.[0].toLowerCase()
    if (byName.has(key) && !(REPEATABLE.has(key) && previous === key)) {
      throw new OAuthError(
        'invalid_request',
        `header "${name}" appears more than once (or not next to its twin)`,
      )
    }
    const min = MAY_BE_EMPTY.has(key) ? 0 : 1
    if (headerValue.length < min || headerValue.length > MAX_VALUE || /[\r\n\0]/.test(headerValue)) {
      throw new OAuthError(
        'invalid_request',
        `header "${name}" must be ${min} to ${MAX_VALUE} characters without line breaks`,
      )
    }
    if (DIGEST_HEADERS.has(key) && !/^<[A-Za-z0-9_-]{43}>$/.test(headerValue)) {
      throw new OAuthError(
        'invalid_request',
        `header "${name}" must be a digest in angle brackets (<43 base64url characters>)`,
      )
    }
    if (
      (rule === SEND_HEADERS || rule === AUTO_REPLY_HEADERS) &&
      BLINDED_HEADERS.has(key) &&
      !/^<[A-Za-z0-9_-]{43}>$/.test(headerValue)
    ) {
      throw new OAuthError(
        'invalid_request',
        `header "${name}" must be sent blinded (<HMAC-SHA-256 of the value under the Recipients-Salt>, docs/protocol.md §2): the AS is never given recipient addresses`,
      )
    }
    if (!byName.has(key)) byName.set(key, headerValue)
    pairs.push([name, headerValue])
  }
  const missing = rule.required.filter((n) => !byName.has(n.toLowerCase()))
  if (missing.length > 0)
    throw new OAuthError('invalid_request', `"headers" must include ${missing.join(', ')}`)
  return {
    pairs,
    // ehl lists each name once, in the order given; repeated To/Cc are adjacent so ehHeaders() keeps them.
    ehl: pairs
      .map(([name]) => name)
      .filter((name, i, all) => i === 0 || all[i - 1]?.toLowerCase() !== name.toLowerCase()),
    get: (name) => byName.get(name.toLowerCase()) ?? '',
  }
}
