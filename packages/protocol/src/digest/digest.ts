import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { ProtocolError } from '../errors.ts'

export { isDigest } from '../message/digest-format.ts'

/**
 * base64url (no padding) of SHA-256 of `input` (a string is hashed as its UTF-8 bytes): 43 characters.
 * @see RFC 4648 §5, FIPS 180-4
 */
export function digest(input: Uint8Array | string): string {
  return createHash('sha256').update(input).digest('base64url')
}

/**
 * RFC 8785 JSON Canonicalization Scheme through the `canonicalize` package. Refuses what JCS cannot
 * represent identically everywhere: non-finite numbers, undefined, lone surrogates.
 * @see RFC 8785 §3
 */
export function jcs(value: unknown): string {
  let out: string | undefined
  try {
    out = canonicalize(value)
  } catch (cause) {
    throw new ProtocolError('malformed_json', `cannot canonicalize: ${(cause as Error).message}`, { cause })
  }
  if (out === undefined) throw new ProtocolError('malformed_json', 'cannot canonicalize undefined')
  // JSON.stringify escapes lone surrogates as \udxxx; RFC 8785 §3.2.2.2 requires them to be refused.
  if (/\\ud[89a-f][0-9a-f]{2}/i.test(out))
    throw new ProtocolError('malformed_json', 'lone surrogates cannot be canonicalized')
  return out
}

/** digest(JCS(value)): how every hashed structure is hashed (docs/protocol.md §2). */
export function jcsDigest(value: unknown): string {
  return digest(jcs(value))
}
