import { ProtocolError } from '../errors.ts'
import type { Address } from './types.ts'

// RFC 5322 §3.2.3 atext, widened to UTF-8 as RFC 6532 §3.2 allows.
const ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\\u0080-\\uFFFF"
const DOT_ATOM = `[${ATEXT}]+(?:\\.[${ATEXT}]+)*`
const LABEL = '[A-Za-z0-9\\u0080-\\uFFFF](?:[A-Za-z0-9\\-\\u0080-\\uFFFF]{0,61}[A-Za-z0-9\\u0080-\\uFFFF])?'
const ADDR_SPEC = new RegExp(`^${DOT_ATOM}@${LABEL}(?:\\.${LABEL})*$`, 'u')
const PLAIN_PHRASE = new RegExp(`^[${ATEXT}]+(?: [${ATEXT}]+)*$`, 'u')
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we refuse
const CONTROL = /[\u0000-\u001f\u007f]/

/** True when `s` is a dot-atom addr-spec `local@domain` (RFC 5322 §3.4.1, UTF-8 per RFC 6532). */
export function isAddrSpec(s: string): boolean {
  return s.length <= 254 && ADDR_SPEC.test(s)
}

/** The domain of an addr-spec, lower-cased. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@')
  if (at < 0) throw new ProtocolError('invalid_address', `"${address}" has no domain`)
  return address.slice(at + 1).toLowerCase()
}

/**
 * Groups recipient addr-specs by their domain (docs/protocol.md §6: one delivery per recipient domain),
 * lower-cased and de-duplicated, domains and addresses in first-seen order.
 */
export function recipientsByDomain(addresses: Iterable<string>): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  for (const address of addresses) {
    const a = address.toLowerCase()
    const domain = domainOf(a)
    const list = groups.get(domain)
    if (!list) groups.set(domain, [a])
    else if (!list.includes(a)) list.push(a)
  }
  return groups
}

function invalid(s: string, why: string): ProtocolError {
  return new ProtocolError('invalid_address', `"${s.slice(0, 200)}" is not a valid address: ${why}`)
}

/**
 * Parses one mailbox: `addr-spec`, `<addr-spec>`, `Name <addr-spec>` or `"Quoted, Name" <addr-spec>`.
 * Comments and group syntax are not supported.
 * @see RFC 5322 §3.4
 */
export function parseAddress(s: string): Address {
  const text = s.trim()
  if (CONTROL.test(text)) throw invalid(s, 'control characters are not allowed')
  if (!text.endsWith('>')) {
    if (!isAddrSpec(text)) throw invalid(s, 'expected local@domain or Name <local@domain>')
    return { address: text }
  }
  const open = text.lastIndexOf('<')
  if (open < 0) throw invalid(s, 'unbalanced angle brackets')
  const address = text.slice(open + 1, -1).trim()
  if (!isAddrSpec(address)) throw invalid(s, `"${address}" is not local@domain`)
  const rawName = text.slice(0, open).trim()
  if (rawName === '') return { address }
  let name: string
  if (rawName.startsWith('"')) {
    if (rawName.length < 2 || !rawName.endsWith('"')) throw invalid(s, 'unterminated quoted display name')
    name = ''
    const inner = rawName.slice(1, -1)
    for (let i = 0; i < inner.length; i++) {
      const c = inner[i]!
      if (c === '\\') {
        const next = inner[i + 1]
        if (next === undefined) throw invalid(s, 'dangling backslash in display name')
        name += next
        i++
      } else if (c === '"') {
        throw invalid(s, 'unescaped quote in display name')
      } else name += c
    }
  } else {
    if (/[<>",;:@\\]/.test(rawName)) throw invalid(s, 'special characters in a display name must be quoted')
    name = rawName.replace(/\s+/g, ' ')
  }
  return name === '' ? { address } : { name, address }
}

/** Splits on commas outside quoted strings and angle brackets, then parses each mailbox. */
export function parseAddressList(s: string): Address[] {
  const items: string[] = []
  let current = ''
  let quoted = false
  let angle = false
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (quoted && c === '\\') {
      current += c + (s[i + 1] ?? '')
      i++
      continue
    }
    if (c === '"' && !angle) quoted = !quoted
    else if (c === '<' && !quoted) angle = true
    else if (c === '>' && !quoted) angle = false
    if (c === ',' && !quoted && !angle) {
      items.push(current)
      current = ''
    } else current += c
  }
  if (quoted) throw invalid(s, 'unterminated quoted string')
  items.push(current)
  if (items.length === 1 && items[0]!.trim() === '') return []
  return items.map((item) => {
    if (item.trim() === '') throw invalid(s, 'empty element in the address list')
    return parseAddress(item)
  })
}

/** Renders a mailbox, quoting the display name only when it needs it. */
export function formatAddress(a: Address): string {
  if (!isAddrSpec(a.address)) throw invalid(a.address, 'expected local@domain')
  const name = a.name?.trim()
  if (name === undefined || name === '') return a.address
  if (CONTROL.test(name)) throw invalid(name, 'control characters are not allowed in a display name')
  if (PLAIN_PHRASE.test(name)) return `${name} <${a.address}>`
  return `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}" <${a.address}>`
}

/** Renders a list of mailboxes separated by `, `. */
export function formatAddressList(list: readonly Address[]): string {
  return list.map(formatAddress).join(', ')
}
