import { isIP } from 'node:net'
import { ProtocolError } from '../errors.ts'

/** IPv4 ranges a discovery target must not resolve to (RFC 6890 special-purpose, RFC 6598 CGNAT). */
const V4_BLOCKED: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
]

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
}

function v4Class(ip: string): string | undefined {
  const n = v4ToInt(ip)
  for (const [base, bits, label] of V4_BLOCKED) {
    const size = 2 ** (32 - bits)
    const start = v4ToInt(base)
    if (n >= start && n < start + size) return label
  }
  return undefined
}

/** Expands an IPv6 address to 8 16-bit groups (handles `::` and an embedded dotted IPv4 tail). */
function v6Groups(ip: string): number[] {
  let text = ip.toLowerCase().split('%')[0]!
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/)
  if (dotted) {
    const n = v4ToInt(dotted[1]!)
    text = `${text.slice(0, -dotted[1]!.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0')
  return [...h, ...fill, ...t].map((g) => Number.parseInt(g, 16))
}

function v6Class(ip: string): string | undefined {
  const g = v6Groups(ip)
  if (g.slice(0, 7).every((x) => x === 0))
    return g[7] === 1 ? 'loopback' : g[7] === 0 ? 'unspecified' : 'reserved'
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) carry an IPv4 address in the last 32 bits.
  const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)
  if (mapped || nat64) {
    const v4 = `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`
    return v4Class(v4)
  }
  const first = g[0]!
  if ((first & 0xfe00) === 0xfc00) return 'unique-local'
  if ((first & 0xffc0) === 0xfe80) return 'link-local'
  if ((first & 0xffc0) === 0xfec0) return 'site-local'
  if ((first & 0xff00) === 0xff00) return 'multicast'
  if (first === 0x2001 && g[1] === 0x0db8) return 'documentation'
  return undefined
}

/**
 * Names the special-purpose range an IP address belongs to (loopback, private, link-local, CGNAT,
 * unique-local, …), or undefined for a public unicast address.
 * @see RFC 6890, RFC 6598, RFC 4193, RFC 4291 §2.5.6
 */
export function nonPublicRange(ip: string): string | undefined {
  const family = isIP(ip)
  if (family === 4) return v4Class(ip)
  if (family === 6) return v6Class(ip)
  return 'not an IP address'
}

/**
 * Refuses a host that is, or resolves to, a non-public address (SSRF defence). `lookup` returns
 * every address of a name (A and AAAA).
 */
export async function assertPublicHost(
  host: string,
  lookup: (host: string) => Promise<string[]>,
): Promise<void> {
  const bare = host.replace(/^\[|\]$/g, '')
  if (bare.toLowerCase() === 'localhost' || bare.toLowerCase().endsWith('.localhost')) {
    throw new ProtocolError('private_address', `refusing discovery target ${host}: localhost`)
  }
  let addresses: string[]
  if (isIP(bare)) addresses = [bare]
  else {
    try {
      addresses = await lookup(bare)
    } catch (cause) {
      throw new ProtocolError('discovery_failed', `cannot resolve discovery target ${host}`, { cause })
    }
    if (addresses.length === 0)
      throw new ProtocolError('discovery_failed', `discovery target ${host} has no address`)
  }
  for (const address of addresses) {
    const range = nonPublicRange(address)
    if (range !== undefined) {
      throw new ProtocolError(
        'private_address',
        `refusing discovery target ${host}: ${address} is ${range} (set allowInsecure only for development)`,
      )
    }
  }
}
