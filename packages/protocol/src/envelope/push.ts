import { createHash } from 'node:crypto'
import { ProtocolError } from '../errors.ts'
import { listResources } from '../message/reader.ts'
import type { PlaceholderMessage, ResourceInfo } from '../message/types.ts'

/**
 * The push way (docs/protocol.md §6, "Pushed resources"): a sending MTA may carry the message's small
 * body parts inside the delivery request, so the receiver need not fetch them. Each pushed resource is
 * `{ content_id, data }` with `data` the bytes in base64url (RFC 4648 §5, no padding).
 */
export interface PushedResource {
  content_id: string
  data: string
}

/** The most a sender pushes and a receiver accepts in one delivery, summed over the resources. */
export const PUSH_MAX_BYTES = 64 * 1024

const BODY_TYPE = /^text\/(plain|html)\b/i

/**
 * What a sender pushes: the text/plain and text/html inline body parts, in body order, each distinct
 * Content-ID once, as long as the running total stays within `budget` bytes. Attachments and larger
 * bodies are always fetched.
 */
export function choosePushed(message: PlaceholderMessage, budget: number): ResourceInfo[] {
  const out: ResourceInfo[] = []
  let total = 0
  for (const r of listResources(message)) {
    if (r.disposition !== 'inline' || !BODY_TYPE.test(r.mediaType)) continue
    if (out.some((o) => o.contentId === r.contentId)) continue
    if (total + r.size > budget) continue
    out.push(r)
    total += r.size
  }
  return out
}

const B64URL = /^[A-Za-z0-9_-]*$/

/**
 * A receiver's check of pushed resources against the signed body (whose Body-Digest the chain
 * verification has already bound to the assertion): each must be a Content-ID the body references, of
 * the size the body declares, whose SHA-256 is that Content-ID, each once, `maxBytes` in all.
 * Returns the bytes by Content-ID. Errors: `malformed_message` (shape), `too_large`, `resource_mismatch`.
 * @see docs/protocol.md §6 (Pushed resources), RFC 6920 §2 (a name that is the hash of the bytes)
 */
export function verifyPushed(
  message: PlaceholderMessage,
  pushed: unknown,
  maxBytes: number,
): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  if (pushed === undefined) return out
  if (!Array.isArray(pushed))
    throw new ProtocolError('malformed_message', '"resources" must be a list of { content_id, data }')
  const referenced = new Map(listResources(message).map((r) => [r.contentId, r]))
  let total = 0
  for (const item of pushed) {
    const { content_id: contentId, data } = (item ?? {}) as { content_id?: unknown; data?: unknown }
    if (typeof contentId !== 'string' || typeof data !== 'string' || !B64URL.test(data))
      throw new ProtocolError(
        'malformed_message',
        'each pushed resource must be { content_id, data } with data in base64url',
      )
    total += Math.floor((data.length * 3) / 4)
    if (total > maxBytes)
      throw new ProtocolError('too_large', `pushed resources exceed ${maxBytes} bytes in all; fetch the rest`)
    const declared = referenced.get(contentId)
    if (!declared)
      throw new ProtocolError(
        'resource_mismatch',
        `pushed resource ${contentId.slice(0, 60)} is not referenced by the signed body`,
      )
    if (out.has(contentId))
      throw new ProtocolError('resource_mismatch', `pushed resource ${contentId} appears twice`)
    const bytes = Buffer.from(data, 'base64url')
    if (bytes.length !== declared.size)
      throw new ProtocolError(
        'resource_mismatch',
        `pushed resource ${contentId} has ${bytes.length} bytes; the signed body says ${declared.size}`,
      )
    if (createHash('sha256').update(bytes).digest('base64url') !== contentId)
      throw new ProtocolError(
        'resource_mismatch',
        `the SHA-256 of pushed resource ${contentId} is not its Content-ID; nothing was stored`,
      )
    out.set(contentId, bytes)
  }
  return out
}
