import { Resolver } from 'node:dns/promises'
import type { DomainConfig } from '@federizer/node'

/** The DNS lookups mail routing needs (a node:dns Resolver has them all). */
export interface MailDns {
  resolveMx(name: string): Promise<Array<{ exchange: string; priority: number }>>
  resolve4(name: string): Promise<string[]>
  resolve6(name: string): Promise<string[]>
  resolveTxt(name: string): Promise<string[][]>
  resolveSrv(name: string): Promise<Array<{ name: string; port: number }>>
}

/** Where mail for a domain that has no Federizer records can go. */
export type LegacyRoute =
  /** The domain does not exist, or says it takes no mail: a completed check, so final. */
  | { kind: 'none'; reason: string }
  /** SMTP mail exchangers, best first (an A/AAAA-only domain is its own implicit MX). */
  | { kind: 'smtp'; hosts: string[] }
  /** DNS did not answer: nothing is known yet, so the caller retries. */
  | { kind: 'unknown'; reason: string }

/** A resolver pointed at the domain's configured DNS servers (the system's when unset). */
export function createMailDns(config: Pick<DomainConfig, 'dnsServers'>): MailDns {
  const resolver = new Resolver({ timeout: 2000, tries: 2 })
  if (config.dnsServers?.length) resolver.setServers(config.dnsServers)
  return resolver
}

const code = (e: unknown) => (e as { code?: string }).code
/** NXDOMAIN (c-ares ENOTFOUND) and NODATA (ENODATA) are answers; anything else (timeout, SERVFAIL) is not. */
const isAnswer = (e: unknown) => code(e) === 'ENOTFOUND' || code(e) === 'ENODATA'

async function addresses(dns: MailDns, name: string): Promise<string[] | undefined> {
  const found: string[] = []
  let answered = 0
  for (const lookup of [dns.resolve4, dns.resolve6]) {
    try {
      found.push(...(await lookup.call(dns, name)))
      answered++
    } catch (e) {
      if (isAnswer(e)) answered++
    }
  }
  return answered === 2 ? found : found.length ? found : undefined
}

/**
 * Routes mail for `domain` by its MX records (RFC 5321 §5.1): the exchangers ordered by preference; with
 * no MX, the domain's own address records are an implicit MX; a single MX with an empty exchange (".") is
 * the null MX of RFC 7505 ("this domain accepts no mail"). NXDOMAIN, a null MX, or no MX and no address
 * are final; a lookup that did not complete is `unknown`, never final.
 */
export async function routeLegacy(dns: MailDns, domain: string): Promise<LegacyRoute> {
  let mx: Array<{ exchange: string; priority: number }>
  try {
    mx = await dns.resolveMx(domain)
  } catch (e) {
    if (code(e) === 'ENOTFOUND') return { kind: 'none', reason: `${domain} does not exist; nothing was sent` }
    if (code(e) !== 'ENODATA')
      return { kind: 'unknown', reason: `the DNS lookup of ${domain} failed (${code(e) ?? e})` }
    mx = []
  }
  const hosts = mx
    .filter((r) => r.exchange !== '' && r.exchange !== '.')
    .sort((a, b) => a.priority - b.priority)
    .map((r) => r.exchange.replace(/\.$/, ''))
  if (mx.length > 0 && hosts.length === 0)
    return { kind: 'none', reason: `${domain} does not accept mail (null MX, RFC 7505); nothing was sent` }
  if (hosts.length > 0) return { kind: 'smtp', hosts }
  const own = await addresses(dns, domain)
  if (!own) return { kind: 'unknown', reason: `the DNS lookup of ${domain} failed` }
  if (own.length === 0)
    return {
      kind: 'none',
      reason: `${domain} has no mail server (no MX or address records); nothing was sent`,
    }
  return { kind: 'smtp', hosts: [domain] }
}

/**
 * The addresses to connect to for one mail exchanger (RFC 5321 §5.1): its AAAA and its A records, IPv6
 * first (RFC 6724 §10.3 default preference), so an MX that has only an IPv6 address is reached over IPv6.
 * `undefined` when DNS did not answer; an empty list when the exchanger has no address.
 */
export async function mxAddresses(dns: MailDns, host: string): Promise<string[] | undefined> {
  const found = await addresses(dns, host)
  return found && [...found.filter((a) => a.includes(':')), ...found.filter((a) => !a.includes(':'))]
}

/**
 * After Federizer discovery of `domain` failed: does the domain publish `_federizer._rs._tcp` at all
 * (docs/protocol.md, Discovery)? If it does, the failure was the peer's or the network's and is retried
 * (`unknown`); if DNS answered that it does not, the domain's MX records decide (see {@link routeLegacy}).
 */
export async function routeWithoutFederizer(dns: MailDns, domain: string): Promise<LegacyRoute> {
  try {
    await dns.resolveSrv(`_federizer._rs._tcp.${domain}`)
    return { kind: 'unknown', reason: `${domain} publishes Federizer records` }
  } catch (e) {
    if (!isAnswer(e))
      return { kind: 'unknown', reason: `the DNS lookup of ${domain} failed (${code(e) ?? e})` }
  }
  return routeLegacy(dns, domain)
}
