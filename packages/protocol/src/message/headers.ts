import type { Header, HeaderValue } from './types.ts'

/** Names are compared ASCII case-insensitively (RFC 5322 §1.2.2). */
export function sameName(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase()
}

/** The value of the first header called `name` (case-insensitive), or undefined. */
export function getHeader(headers: readonly Header[], name: string): HeaderValue | undefined {
  for (const [n, v] of headers) if (sameName(n, name)) return v
  return undefined
}

/** The first header called `name` when its value is a plain string. */
export function getStringHeader(headers: readonly Header[], name: string): string | undefined {
  const v = getHeader(headers, name)
  return typeof v === 'string' ? v : undefined
}

/** Every value of headers called `name`, in order (duplicates are kept). */
export function getHeaders(headers: readonly Header[], name: string): HeaderValue[] {
  return headers.filter(([n]) => sameName(n, name)).map(([, v]) => v)
}

/** How many headers are called `name`. */
export function countHeaders(headers: readonly Header[], name: string): number {
  let count = 0
  for (const [n] of headers) if (sameName(n, name)) count++
  return count
}

/** A copy of `headers` without those called `name`. */
export function removeHeaders(headers: readonly Header[], name: string): Header[] {
  return headers.filter(([n]) => !sameName(n, name))
}
