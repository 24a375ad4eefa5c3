import { randomBytes } from 'node:crypto'

/** A random, URL-safe, 128-bit identifier for rows (`m_…` messages, `mb_…` mailboxes, …). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`
}
