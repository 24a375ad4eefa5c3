import { createHash, randomBytes } from 'node:crypto'

/** A fresh opaque secret (256 bits, base64url): codes, refresh tokens, session ids. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url')
}

/** SHA-256 (base64url) of a secret: only this is stored, so a database leak yields no usable token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}
