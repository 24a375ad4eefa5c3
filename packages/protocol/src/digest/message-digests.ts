import { createHmac } from 'node:crypto'
import { ProtocolError } from '../errors.ts'
import { parseAddress } from '../message/address.ts'
import { bracketDigest, unbracketDigest } from '../message/digest-format.ts'
import { getStringHeader, sameName } from '../message/headers.ts'
import type { Header, Part } from '../message/types.ts'
import { digest, jcsDigest } from './digest.ts'

/** The header of the origin block holding the salt that blinds To and Cc for the AS (docs/protocol.md §2). */
export const RECIPIENTS_SALT = 'Recipients-Salt'
/** The header of the sender's own copy holding the Recipients-Digest key; never delivered. */
export const RECIPIENTS_KEY = 'Recipients-Key'
/** Headers whose values an eht covers blinded when the block carries a Recipients-Salt. */
const BLINDED = ['To', 'Cc']

/** A 32-byte secret written as a `<digest>` value (43 canonical base64url characters). */
export function secretHeaderValue(bytes: Uint8Array): string {
  if (bytes.byteLength !== 32) throw new ProtocolError('invalid_digest', 'a salt or key is exactly 32 bytes')
  return bracketDigest(Buffer.from(bytes).toString('base64url'))
}

/** The 32 bytes of a `<digest>`-form salt or key header value. */
export function secretFromHeader(value: string, name: string): Buffer {
  const inner = unbracketDigest(value)
  if (inner === undefined)
    throw new ProtocolError('invalid_digest', `${name} must be 32 bytes written <43 base64url characters>`)
  return Buffer.from(inner, 'base64url')
}

/** base64url (no padding) of HMAC-SHA-256(key, UTF-8 of `input`). @see RFC 2104, FIPS 198-1 */
export function keyedDigest(key: Uint8Array, input: string): string {
  if (key.byteLength !== 32) throw new ProtocolError('invalid_digest', 'an HMAC key here is exactly 32 bytes')
  return createHmac('sha256', key).update(input, 'utf8').digest('base64url')
}

/**
 * Body-Digest = digest(JCS(parts)), `parts` being the body tree of the JSON model (the children of the
 * top multipart/mixed). Binds every Content-ID, size and media type to the signed envelope.
 * @see RFC 8785; docs/protocol.md §2
 */
export function bodyDigest(parts: readonly Part[]): string {
  return jcsDigest(parts)
}

/** The canonical recipient set: addr-specs lower-cased, de-duplicated, sorted by UTF-16 code units. */
export function canonicalRecipients(addresses: readonly string[]): string[] {
  const set = new Set(addresses.map((a) => parseAddress(a).address.toLowerCase()))
  return [...set].sort()
}

/**
 * Recipients-Digest over the recipients' addr-specs, lower-cased, de-duplicated, sorted, joined by `\n`.
 * At the origin (To+Cc+Bcc) it is keyed: HMAC-SHA-256 with the per-message Recipients-Key only the
 * origin mailbox holds, so nobody else can test a guessed Bcc against it. At a forwarding hop
 * (Forwarded-To, public in the block) it is the plain digest every verifier recomputes.
 * Accepts addr-specs or `Name <addr>`.
 * @see docs/protocol.md §2 (Recipients-Digest)
 */
export function recipientsDigest(addresses: readonly string[], key?: Uint8Array): string {
  const list = canonicalRecipients(addresses)
  if (list.length === 0)
    throw new ProtocolError('invalid_address', 'a Recipients-Digest needs at least one recipient')
  const text = list.join('\n')
  return key === undefined ? digest(text) : keyedDigest(key, text)
}

/**
 * What the AS and every verifier see of a To or Cc value: `<HMAC-SHA-256(salt, value)>`, the salt
 * being the block's Recipients-Salt (a 32-byte random value the AS is never sent).
 * @see docs/protocol.md §2 (eht)
 */
export function blindedValue(salt: Uint8Array, value: string): string {
  return bracketDigest(keyedDigest(salt, value))
}

/** ehl with names de-duplicated case-insensitively, first spelling kept. */
export function uniqueNames(names: readonly string[]): string[] {
  const out: string[] = []
  for (const n of names) if (!out.some((o) => sameName(o, n))) out.push(n)
  return out
}

/**
 * The `[name, value]` pairs an eht covers: for each ehl name in ehl order, every header of the block with
 * that name (case-insensitive) in block order, name and value exactly as they stand in the block — except
 * To and Cc in a block carrying a Recipients-Salt, whose values are blinded (blindedValue). This is also
 * the `headers` parameter sent to the AS in a token exchange, so the AS never sees a recipient address.
 * Throws invalid_chain when a named header is absent or the ehl repeats a name.
 */
export function ehHeaders(headers: readonly Header[], ehl: readonly string[]): Header[] {
  if (uniqueNames(ehl).length !== ehl.length)
    throw new ProtocolError('invalid_chain', 'ehl names a header twice')
  const saltValue = getStringHeader(headers, RECIPIENTS_SALT)
  const salt = saltValue === undefined ? undefined : secretFromHeader(saltValue, RECIPIENTS_SALT)
  const out: Header[] = []
  for (const name of ehl) {
    const matches = headers.filter(([n]) => sameName(n, name))
    if (matches.length === 0)
      throw new ProtocolError('invalid_chain', `ehl names "${name}" but the block has no such header`)
    for (const [n, v] of matches) {
      const blind = salt !== undefined && typeof v === 'string' && BLINDED.some((b) => sameName(b, n))
      out.push(blind ? [n, blindedValue(salt, v)] : [n, v])
    }
  }
  return out
}

/**
 * eht = digest(JCS([[name, value], …])) over the headers named in ehl (see ehHeaders).
 * @see docs/protocol.md §2 (eht, the seed's "Envelope Headers Thumbprint")
 */
export function ehThumbprint(headers: readonly Header[], ehl: readonly string[]): string {
  return jcsDigest(ehHeaders(headers, ehl))
}

/** JWT-Assertion-Digest = digest of the ASCII bytes of a compact JWS. */
export function jwtAssertionDigest(jws: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(jws))
    throw new ProtocolError('invalid_jwt', 'a compact JWS is base64url segments and dots')
  return digest(jws)
}
