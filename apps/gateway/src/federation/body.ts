import type { IncomingMessage } from 'node:http'
import {
  envelopeFromYaml,
  messageFromYaml,
  parseYamlData,
  yamlMapping,
  yamlStringList,
} from '@federizer/protocol'
import { FederationError, fromProtocolError } from './errors.ts'

/**
 * Reads a request body into memory, refusing it with 413 as soon as it passes `maxBytes`
 * (before any parsing: the Content-Length is checked first, then the bytes as they stream in).
 * @see RFC 9110 §15.5.14 (413 Content Too Large)
 */
export async function readLimitedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase()
  if (encoding !== 'identity' && encoding !== '') {
    req.resume()
    // RFC 9110 §15.5.16: a content coding the server does not apply is 415.
    throw new FederationError(
      'unsupported_media_type',
      `Content-Encoding "${encoding.slice(0, 40)}" is not accepted: send the body uncompressed`,
    )
  }
  const declared = Number(req.headers['content-length'])
  const tooLarge = () =>
    new FederationError('payload_too_large', `the request body exceeds the limit of ${maxBytes} bytes`)
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume()
    throw tooLarge()
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) {
      req.resume()
      throw tooLarge()
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}

export type BodyFormat = 'json' | 'yaml'

/** Picks the body format from Content-Type: JSON (default) or YAML; anything else is 415. */
export function bodyFormat(contentType: string | undefined): BodyFormat {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase()
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    throw new FederationError(
      'unsupported_media_type',
      `charset "${charset.slice(0, 40)}" is not accepted: send UTF-8 (RFC 8259 §8.1)`,
    )
  if (type === 'application/json' || type.endsWith('+json')) return 'json'
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return 'yaml'
  throw new FederationError(
    'unsupported_media_type',
    `Content-Type "${type || '(none)'}" is not accepted: send application/json or application/yaml`,
  )
}

/**
 * The deepest nesting of arrays and objects a federation body may have. The deepest legitimate body (a
 * fetch's envelope of 16 hops, a delivery's multipart parts) is far shallower; tens of thousands of nested
 * arrays would otherwise overflow the stack of whatever walks the parsed value (a 500).
 */
const MAX_JSON_DEPTH = 64

/**
 * Refuses JSON text nested deeper than `max` with 400, before parsing: one pass over the characters,
 * strings skipped, no recursion.
 */
function checkJsonDepth(text: string, max: number): void {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max)
        throw new FederationError(
          'invalid_request',
          `the request body nests arrays or objects more than ${max} levels deep; no Federizer body needs that`,
        )
    } else if (c === 0x5d || c === 0x7d) depth--
  }
}

/** What a federation request body holds: a delivery's `{ placeholder, recipients }`, a fetch's `{ envelope, content_id }`. */
export type BodyShape = 'delivery' | 'fetch'

/**
 * Decodes a JSON or YAML body into the JSON model's plain value (validated by the caller). YAML is the
 * layout of docs/protocol.md §1.2, read as data only: every scalar a string (failsafe schema), one
 * document, no anchors, aliases, tags or merge keys; the placeholder (delivery) or the envelope (fetch)
 * in the single-key "Name: value" header layout.
 */
export function decodeBody(raw: Buffer, format: BodyFormat, shape: BodyShape): unknown {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw)
  } catch {
    throw new FederationError('invalid_request', 'the request body is not valid UTF-8')
  }
  if (format === 'json') {
    checkJsonDepth(text, MAX_JSON_DEPTH)
    try {
      return JSON.parse(text)
    } catch (e) {
      throw new FederationError(
        'invalid_request',
        `the request body is not valid JSON: ${(e as Error).message}`,
      )
    }
  }
  try {
    const data = parseYamlData(text)
    if (shape === 'delivery') {
      const top = yamlMapping(data, 'the body', ['placeholder', 'recipients'])
      const placeholder = top.get('placeholder')
      const recipients = top.get('recipients')
      return {
        ...(placeholder !== undefined ? { placeholder: messageFromYaml(placeholder, 'placeholder') } : {}),
        ...(recipients !== undefined ? { recipients: yamlStringList(recipients, 'recipients') } : {}),
      }
    }
    const top = yamlMapping(data, 'the body', ['envelope', 'content_id'])
    const envelope = top.get('envelope')
    return {
      ...(envelope !== undefined ? { envelope: envelopeFromYaml(envelope) } : {}),
      content_id: top.get('content_id'),
    }
  } catch (e) {
    throw fromProtocolError(e, 'the request body (YAML, docs/protocol.md §1.2)')
  }
}
