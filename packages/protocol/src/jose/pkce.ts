import { createHash } from 'node:crypto'
import { ProtocolError } from '../errors.ts'

/** RFC 7636 §4.1: code_verifier = 43*128unreserved, unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~". */
const VERIFIER_RE = /^[A-Za-z0-9\-._~]{43,128}$/
const CHALLENGE_RE = /^[A-Za-z0-9_-]{43}$/

/**
 * Creates a high-entropy code verifier: 32 random octets, base64url (43 characters).
 * `randomBytes` is injectable for deterministic tests.
 * @see RFC 7636 §4.1
 */
export function createPkceVerifier(
  randomBytes: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
): string {
  return Buffer.from(randomBytes(32)).toString('base64url')
}

/** Throws `invalid_pkce` unless `verifier` is 43–128 characters of the unreserved set. @see RFC 7636 §4.1 */
export function assertPkceVerifier(verifier: unknown): asserts verifier is string {
  if (typeof verifier !== 'string' || !VERIFIER_RE.test(verifier)) {
    const len = typeof verifier === 'string' ? verifier.length : 0
    throw new ProtocolError(
      'invalid_pkce',
      `code_verifier must be 43–128 characters of [A-Za-z0-9-._~] (got ${len} characters)`,
    )
  }
}

/** code_challenge = BASE64URL(SHA256(ASCII(code_verifier))). @see RFC 7636 §4.2 */
export function pkceChallengeS256(verifier: string): string {
  assertPkceVerifier(verifier)
  return createHash('sha256').update(verifier, 'ascii').digest('base64url')
}

/**
 * Verifies a code verifier against an S256 challenge. Returns true, or throws `invalid_pkce`
 * (malformed verifier, malformed challenge, or no match). S256 only: `plain` is never accepted.
 * @see RFC 7636 §4.6
 */
export function verifyPkceS256(verifier: string, challenge: string): true {
  assertPkceVerifier(verifier)
  if (typeof challenge !== 'string' || !CHALLENGE_RE.test(challenge)) {
    throw new ProtocolError(
      'invalid_pkce',
      'code_challenge must be an S256 challenge (43 base64url characters)',
    )
  }
  if (pkceChallengeS256(verifier) !== challenge) {
    throw new ProtocolError('invalid_pkce', 'code_verifier does not match the code_challenge')
  }
  return true
}
