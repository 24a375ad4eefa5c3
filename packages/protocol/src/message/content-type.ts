import { ProtocolError } from '../errors.ts'

export const EXTERNAL_BODY_TYPE = 'message/external-body'
export const ACCESS_TYPE = 'x-content-addressed-uri'
export const HASH_ALGORITHM = 'sha256'

export interface ParsedParams {
  /** The value before the first `;`, lower-cased and trimmed (a media type or a disposition). */
  value: string
  /** Parameters with lower-cased names; quotes removed; RFC 2231 `name*=UTF-8''…` decoded into `name`. */
  params: Record<string, string>
}

/**
 * Parses `value; name=token; name="quoted"; name='quoted'` (the seed quotes with apostrophes, RFC 2045
 * §5.1 with double quotes; both are read, only the latter is written).
 */
export function parseParams(s: string): ParsedParams {
  const params: Record<string, string> = {}
  let i = s.indexOf(';')
  const value = (i < 0 ? s : s.slice(0, i)).trim().toLowerCase()
  while (i >= 0 && i < s.length) {
    i++
    while (s[i] === ' ' || s[i] === '\t') i++
    const eq = s.indexOf('=', i)
    if (eq < 0) {
      if (s.slice(i).trim() === '') break
      throw new ProtocolError('malformed_message', `parameter without "=" in "${s.slice(0, 200)}"`)
    }
    const name = s.slice(i, eq).trim().toLowerCase()
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      throw new ProtocolError('malformed_message', `bad parameter name "${name}" in "${s.slice(0, 200)}"`)
    }
    let j = eq + 1
    let v = ''
    const quote = s[j]
    if (quote === '"' || quote === "'") {
      j++
      while (j < s.length && s[j] !== quote) {
        if (s[j] === '\\' && quote === '"') j++
        v += s[j] ?? ''
        j++
      }
      if (j >= s.length)
        throw new ProtocolError('malformed_message', `unterminated quoted parameter "${name}"`)
      j++
      while (s[j] === ' ' || s[j] === '\t') j++
      if (j < s.length && s[j] !== ';')
        throw new ProtocolError('malformed_message', `junk after parameter "${name}"`)
    } else {
      const end = s.indexOf(';', j)
      v = (end < 0 ? s.slice(j) : s.slice(j, end)).trim()
      j = end < 0 ? s.length : end
    }
    if (name.endsWith('*')) {
      const m = /^([A-Za-z0-9-]*)'[^']*'(.*)$/.exec(v)
      if (!m || (m[1] ?? '').toLowerCase() !== 'utf-8') {
        throw new ProtocolError(
          'malformed_message',
          `only UTF-8 RFC 2231 parameters are supported ("${name}")`,
        )
      }
      try {
        params[name.slice(0, -1)] = decodeURIComponent(m[2] ?? '')
      } catch (cause) {
        throw new ProtocolError('malformed_message', `bad percent-encoding in parameter "${name}"`, { cause })
      }
    } else if (!(name in params)) params[name] = v
    i = j < s.length ? j : -1
  }
  return { value, params }
}

/** The first element of a leaf's Content-Type pair for a resource of `size` bytes. */
export function formatExternalBody(size: number): string {
  if (!Number.isSafeInteger(size) || size < 0)
    throw new ProtocolError(
      'malformed_message',
      `a resource size must be a non-negative integer, got ${size}`,
    )
  return `${EXTERNAL_BODY_TYPE}; access-type=${ACCESS_TYPE}; hash-algorithm=${HASH_ALGORITHM}; size=${size}`
}

/**
 * Reads the external-body element of a leaf's Content-Type pair and returns the resource size.
 * @see RFC 2046 §5.2.3 (message/external-body), with the seed's content-addressed access type
 */
export function parseExternalBody(s: string): { size: number } {
  const { value, params } = parseParams(s)
  if (value !== EXTERNAL_BODY_TYPE)
    throw new ProtocolError('malformed_message', `expected ${EXTERNAL_BODY_TYPE}, got "${value}"`)
  if (params['access-type']?.toLowerCase() !== ACCESS_TYPE) {
    throw new ProtocolError('malformed_message', `external-body access-type must be ${ACCESS_TYPE}`)
  }
  if (params['hash-algorithm']?.toLowerCase() !== HASH_ALGORITHM) {
    throw new ProtocolError('malformed_message', `external-body hash-algorithm must be ${HASH_ALGORITHM}`)
  }
  const size = params.size
  if (size === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(size) || !Number.isSafeInteger(Number(size))) {
    throw new ProtocolError(
      'malformed_message',
      `external-body size must be a non-negative integer, got "${size}"`,
    )
  }
  return { size: Number(size) }
}

/** True for a media type like `type/subtype` with optional parameters. */
export function isMediaType(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;.*)?$/.test(s)
}

/** `inline` or `attachment; filename="…"` (RFC 2183), quoting the file name. */
export function formatDisposition(disposition: 'inline' | 'attachment', filename?: string): string {
  if (filename === undefined) return disposition
  return `${disposition}; filename="${filename.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

/** Reads a Content-Disposition value (RFC 2183 §2); anything but `inline` counts as an attachment. */
export function parseDisposition(s: string | undefined): {
  disposition: 'inline' | 'attachment'
  filename?: string
} {
  if (s === undefined) return { disposition: 'attachment' }
  const { value, params } = parseParams(s)
  const disposition = value === 'inline' ? 'inline' : 'attachment'
  return params.filename === undefined ? { disposition } : { disposition, filename: params.filename }
}
