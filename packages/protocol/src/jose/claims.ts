import { z } from 'zod'
import { ProtocolError } from '../errors.ts'

/** 43 base64url characters: a SHA-256 digest or JWK thumbprint (RFC 7638 §3). */
export const digestStringSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected 43 base64url characters')

/** A NumericDate (RFC 7519 §2): whole seconds since the epoch. */
export const numericDateSchema = z.number().int().nonnegative()

/** A non-empty string of reasonable size (claims are never megabytes). */
export const claimStringSchema = z.string().min(1).max(2048)

/** The `cnf` confirmation claim carrying a DPoP key thumbprint. @see RFC 9449 §6.1 */
export const cnfJktSchema = z.object({ jkt: digestStringSchema })

/** Validates decoded JWT claims against a zod schema; any mismatch is `invalid_jwt` naming the claim. */
export function parseClaims<T extends z.ZodType>(schema: T, payload: unknown, kind: string): z.infer<T> {
  const result = schema.safeParse(payload)
  if (!result.success) {
    const issue = result.error.issues[0]
    const where = issue?.path.length ? issue.path.join('.') : '(claims)'
    throw new ProtocolError(
      'invalid_jwt',
      `${kind}: claim "${where}" is invalid: ${issue?.message ?? 'bad value'}`,
    )
  }
  return result.data
}

/** A random JWT ID: 128 bits, base64url (RFC 7519 §4.1.7). */
export function randomJti(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Buffer.from(bytes).toString('base64url')
}
