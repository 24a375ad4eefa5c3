import type { IncomingMessage } from 'node:http'
import { type Document, isAlias, parseDocument, visit } from 'yaml'
import { FederationError } from './errors.ts'

/**
 * Reads a request body into memory, refusing it with 413 as soon as it passes `maxBytes`
 * (before any parsing: the Content-Length is checked first, then the bytes as they stream in).
 * @see RFC 9110 §15.5.14 (413 Content Too Large)
 */
export async function readLimitedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
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
  if (type === 'application/json' || type.endsWith('+json')) return 'json'
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return 'yaml'
  throw new FederationError(
    'unsupported_media_type',
    `Content-Type "${type || '(none)'}" is not accepted: send application/json or application/yaml`,
  )
}

/**
 * Decodes a JSON or YAML body into a plain value. YAML is read as data only: one document, no anchors,
 * aliases or custom tags (so no billion-laughs expansion and no type confusion).
 */
export function decodeBody(raw: Buffer, format: BodyFormat): unknown {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw)
  } catch {
    throw new FederationError('invalid_request', 'the request body is not valid UTF-8')
  }
  if (format === 'json') {
    try {
      return JSON.parse(text)
    } catch (e) {
      throw new FederationError(
        'invalid_request',
        `the request body is not valid JSON: ${(e as Error).message}`,
      )
    }
  }
  let doc: Document.Parsed
  try {
    doc = parseDocument(text, { uniqueKeys: true, strict: true, prettyErrors: false, schema: 'core' })
  } catch (e) {
    throw new FederationError(
      'invalid_request',
      `the request body is not valid YAML: ${(e as Error).message}`,
    )
  }
  if (doc.errors.length > 0) {
    throw new FederationError(
      'invalid_request',
      `the request body is not valid YAML: ${doc.errors[0]?.message}`,
    )
  }
  visit(doc, (_key, node) => {
    if (isAlias(node)) throw new FederationError('invalid_request', 'YAML aliases are not accepted')
    const n = node as { anchor?: string; tag?: string }
    if (n && typeof n === 'object' && n.anchor) {
      throw new FederationError('invalid_request', 'YAML anchors are not accepted')
    }
    if (n && typeof n === 'object' && n.tag && !n.tag.startsWith('tag:yaml.org,2002:')) {
      throw new FederationError('invalid_request', `YAML tag ${n.tag} is not accepted`)
    }
  })
  return doc.toJS({ maxAliasCount: 0 })
}
