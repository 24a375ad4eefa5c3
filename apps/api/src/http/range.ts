import type { ByteRange } from '@federizer/store'

/**
 * Parses a single `Range: bytes=…` header against a resource of `size` bytes.
 * Returns undefined to serve the whole resource (no header, another unit, or several ranges, which
 * RFC 9110 lets a server ignore), 'unsatisfiable' for a 416, or the inclusive range.
 * @see RFC 9110 §14.1.2, §14.2
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m) return header.trim().startsWith('bytes=') && !header.includes(',') ? 'unsatisfiable' : undefined
  const [, a = '', b = ''] = m
  if (a === '' && b === '') return 'unsatisfiable'
  if (a === '') {
    const suffix = Number(b)
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(a)
  // last-pos before first-pos makes the header invalid: ignore it (RFC 9110 §14.1.1).
  if (b !== '' && Number(b) < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end: b === '' ? size - 1 : Math.min(Number(b), size - 1) }
}
