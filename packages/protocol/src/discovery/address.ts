import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'
import { ProtocolError } from '../errors.ts'

/** IPv6 ranges whose last 32 bits carry an IPv4 address that is what is really reached. */
const EMBEDS_V4 = new Set(['ipv4Mapped', 'rfc6145', 'rfc6052'])

/**
 * Names the special-purpose range an IP address belongs to (loopback, private, linkLocal,
 * carrierGradeNat, uniqueLocal, 6to4, teredo, rfc6052 NAT64 …, as ipaddr.js names the IANA
 * registries), or undefined for a global unicast address. An IPv6 address that embeds an IPv4 one
 * (IPv4-mapped, IPv4-translated, NAT64 `64:ff9b::/96`) is judged by the IPv4 address too, and the
 * deprecated IPv4-compatible form `::a.b.c.d` is refused outright.
 * @see RFC 6890 (special-purpose registries), RFC 4291 §2.5.5, RFC 6052 §2.1, RFC 8215, RFC 3056, RFC 4380
 */
export function nonPublicRange(ip: string): string | undefined {
  const bare = ip.replace(/^\[|\]$/g, '').split('%')[0] ?? ''
  if (isIP(bare) === 0) return 'not an IP address'
  // ipaddr.js reads `::a.b.c.d` (IPv4-compatible, RFC 4291 §2.5.5.1) as IPv4-mapped: catch it first.
  if (/^(0{0,4}:){0,5}:(\d{1,3}\.){3}\d{1,3}$/.test(bare)) return 'ipv4Compatible'
  const addr = ipaddr.parse(bare)
  if (addr.kind() === 'ipv4') {
    const range = addr.range()
    return range === 'unicast' ? undefined : range
  }
  const v6 = addr as ipaddr.IPv6
  const range = v6.range()
  const parts = v6.parts
  if (parts.slice(0, 6).every((p) => p === 0) && range !== 'unspecified' && range !== 'loopback')
    return 'ipv4Compatible'
  if (range === 'rfc6052' && parts[1] === 0xff9b && parts[2] === 1) return 'rfc8215 (local-use NAT64)'
  if (EMBEDS_V4.has(range)) {
    const v4 = ipaddr.fromByteArray(v6.toByteArray().slice(12))
    const inner = v4.range()
    // What is reached is the embedded IPv4 address: judged as that address.
    return inner === 'unicast' ? undefined : inner
  }
  return range === 'unicast' ? undefined : range
}

/** Whether an address may be connected to: global unicast, plus loopback when `allowLoopback` (development). */
export function isAllowedPeerAddress(ip: string, allowLoopback: boolean): boolean {
  const range = nonPublicRange(ip)
  if (range === undefined) return true
  return allowLoopback && range === 'loopback'
}

/** Whether a URL host names this machine (`localhost`, `*.localhost`, a loopback literal). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true
  return isIP(bare) !== 0 && nonPublicRange(bare) === 'loopback'
}

/**
 * Refuses a host that is, or resolves to, a non-public address (SSRF defence). `lookup` returns
 * every address of a name (A and AAAA). This is an early refusal with a clear reason; the connection
 * itself is pinned to checked addresses by the caller's fetch (see the gateway's peer fetch).
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
