import { ProtocolError } from '../errors.ts'
import { LIMITS } from './limits.ts'
import { parsePlaceholderMessage } from './schema.ts'
import type { EnvelopeBlock, Part, PlaceholderMessage } from './types.ts'

/** Rejects texts beyond LIMITS.maxTextBytes before any parsing work. */
export function checkTextSize(text: string, what: string): void {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: cheap bounds first, exact count only when needed.
  if (
    text.length > LIMITS.maxTextBytes ||
    (text.length * 3 > LIMITS.maxTextBytes && new TextEncoder().encode(text).length > LIMITS.maxTextBytes)
  ) {
    throw new ProtocolError('too_large', `the ${what} text is larger than ${LIMITS.maxTextBytes} bytes`)
  }
}

/**
 * Parses a Placeholder Message from JSON text (or validates an already-decoded value).
 * Throws ProtocolError: malformed_json, malformed_message, invalid_digest, invalid_address, too_large.
 * @see RFC 8259 (JSON)
 */
export function parseMessageJson(input: string | unknown): PlaceholderMessage {
  if (typeof input !== 'string') return parsePlaceholderMessage(input)
  checkTextSize(input, 'JSON')
  let value: unknown
  try {
    value = JSON.parse(input)
  } catch (cause) {
    throw new ProtocolError(
      'malformed_json',
      `the Placeholder Message is not valid JSON: ${(cause as Error).message}`,
      {
        cause,
      },
    )
  }
  return parsePlaceholderMessage(value)
}

function normalizePart(p: Part): Part {
  const headers = p.headers.map(
    ([n, v]) => [n, typeof v === 'string' ? v : [v[0], v[1]]] as Part['headers'][number],
  )
  return p.parts === undefined ? { headers } : { headers, parts: p.parts.map(normalizePart) }
}

/** A structural copy with keys in model order and nothing but model fields. */
export function normalizeMessage(m: PlaceholderMessage): PlaceholderMessage {
  const envelope: EnvelopeBlock[] = m.envelope.map((b) =>
    'headers' in b
      ? { headers: b.headers.map(([n, v]) => [n, v] as [string, string]) }
      : { 'jwt-assertion': b['jwt-assertion'] },
  )
  return { envelope, parts: m.parts.map(normalizePart) }
}

/** Serializes to compact JSON in model key order (`envelope`, then `parts`). */
export function serializeMessageJson(m: PlaceholderMessage, options: { pretty?: boolean } = {}): string {
  return JSON.stringify(normalizeMessage(m), null, options.pretty ? 2 : undefined)
}
