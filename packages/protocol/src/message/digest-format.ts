/**
 * The textual form of a digest (docs/protocol.md §2): base64url without padding of a SHA-256 value, exactly 43
 * characters, canonical (the 2 unused low bits of the last character are zero, so the last character
 * is one of A E I M Q U Y c g k o s w 0 4 8). Browser-safe: no hashing here, only the format.
 */
const DIGEST_RE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/

/** True when `s` is a canonical 43-character base64url SHA-256 digest. */
export function isDigest(s: unknown): s is string {
  return typeof s === 'string' && DIGEST_RE.test(s)
}

/** `<digest>`: the form used in header values (Content-ID, Body-Digest, …). */
export function bracketDigest(digest: string): string {
  return `<${digest}>`
}

/** The digest inside a `<digest>` header value, or undefined when the value is not exactly that. */
export function unbracketDigest(value: string): string | undefined {
  if (value.length !== 45 || value[0] !== '<' || value[44] !== '>') return undefined
  const inner = value.slice(1, 44)
  return isDigest(inner) ? inner : undefined
}
