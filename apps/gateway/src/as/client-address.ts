import type { Request } from 'express'
import ipaddr from 'ipaddr.js'

/**
 * The limiter key of a request's client: `req.ip`, the connected address or, behind a configured trusted
 * proxy (`trustedProxies`), the client its X-Forwarded-For names. IPv4 as it is, IPv6 grouped by its /64 (one
 * subscriber usually holds a whole /64, so per-address keys would be free to multiply), IPv4-mapped
 * IPv6 as the IPv4 address.
 * @see RFC 6177 (a /64 or shorter per end site)
 */
export function clientAddressKey(req: Request): string {
  return addressKey(req.ip ?? req.socket.remoteAddress ?? '')
}

/** The limiter key of one client address (see clientAddressKey). */
export function addressKey(raw: string): string {
  if (!ipaddr.isValid(raw)) return raw
  const addr = ipaddr.process(raw)
  if (addr.kind() === 'ipv4') return addr.toString()
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4)
  return `${parts.map((p) => p.toString(16)).join(':')}::/64`
}
