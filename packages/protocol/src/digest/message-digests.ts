import { ProtocolError } from '../errors.ts'
import { parseAddress } from '../message/address.ts'
import { sameName } from '../message/headers.ts'
import type { Header, Part } from '../message/types.ts'
import { digest, jcsDigest } from './digest.ts'

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
 * Recipients-Digest = digest of the recipients' addr-specs, lower-cased, de-duplicated, sorted, joined by
 * `\n` (To+Cc+Bcc at the origin, Forwarded-To at a forwarding hop). Accepts addr-specs or `Name <addr>`.
 */
export function recipientsDigest(addresses: readonly string[]): string {
  const list = canonicalRecipients(addresses)
  if (list.length === 0)
    throw new ProtocolError('invalid_address', 'a Recipients-Digest needs at least one recipient')
  return digest(list.join('\n'))
}

/** ehl with names de-duplicated case-insensitively, first spelling kept. */
export function uniqueNames(names: readonly string[]): string[] {
  const out: string[] = []
  for (const n of names) if (!out.some((o) => sameName(o, n))) out.push(n)
  return out
}

/**
 * The `[name, value]` pairs an eht covers: for each ehl name in ehl order, every header of the block with
 * that name (case-insensitive) in block order, name and value exactly as they stand in the block.
 * This is also the `headers` parameter sent to the AS in a token exchange. Throws invalid_chain when a
 * named header is absent or the ehl repeats a name.
 */
export function ehHeaders(headers: readonly Header[], ehl: readonly string[]): Header[] {
  if (uniqueNames(ehl).length !== ehl.length)
    throw new ProtocolError('invalid_chain', 'ehl names a header twice')
  const out: Header[] = []
  for (const name of ehl) {
    const matches = headers.filter(([n]) => sameName(n, name))
    if (matches.length === 0)
      throw new ProtocolError('invalid_chain', `ehl names "${name}" but the block has no such header`)
    out.push(...matches)
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
