import { Resolver } from 'node:dns/promises'
import { createDiscovery, type Discovery, domainOf } from '@federizer/protocol'
import { findUser, InvalidInputError } from '@federizer/store'
import type { ApiContext } from './context.ts'

const discoveries = new WeakMap<ApiContext, { discovery: Discovery; resolver: Resolver }>()

/** The api's own discovery client (SRV over the domain's DNS servers), made on first use. */
function discoveryOf(ctx: ApiContext): { discovery: Discovery; resolver: Resolver } {
  let d = discoveries.get(ctx)
  if (!d) {
    const resolver = new Resolver({ timeout: 2000, tries: 2 })
    if (ctx.config.dnsServers?.length) resolver.setServers(ctx.config.dnsServers)
    const discovery = createDiscovery({
      resolveSrv: (name) => resolver.resolveSrv(name),
      fetch: ctx.fetch,
      now: ctx.now,
      allowInsecure: ctx.config.allowInsecureTargets,
      failureTtlSeconds: 5,
    })
    d = { discovery, resolver }
    discoveries.set(ctx, d)
  }
  return d
}

/**
 * Whether `domain` takes Internet mail (the MTA's SMTP bridge): a non-null MX, or an address record
 * (implicit MX).
 * @see RFC 5321 §5.1, RFC 7505 (null MX)
 */
async function takesSmtpMail(resolver: Resolver, domain: string): Promise<boolean> {
  try {
    const mx = await resolver.resolveMx(domain)
    if (mx.length > 0) return !mx.every((r) => r.exchange === '' || r.exchange === '.')
  } catch {
    // No MX: try the implicit MX below.
  }
  try {
    return (await resolver.resolve4(domain)).length > 0
  } catch {
    return false
  }
}

/** DNS answers meaning "this name has no such record" (vs. a resolver that could not answer). */
const ABSENT = /ENOTFOUND|ENODATA|NXDOMAIN|not a domain name/i

/** Why mail to `address` could not be forwarded, in words a person can act on; undefined when it can. */
export async function forwardTargetProblem(ctx: ApiContext, address: string): Promise<string | undefined> {
  const domain = domainOf(address.toLowerCase())
  if (domain === ctx.config.domain.toLowerCase()) {
    return (await findUser(ctx.db, address)) ? undefined : `there is no mailbox ${address} at ${domain}`
  }
  const { discovery, resolver } = discoveryOf(ctx)
  try {
    await discovery.domainPeer(domain)
    return undefined
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e)
    if (ABSENT.test(detail)) {
      if (await takesSmtpMail(resolver, domain)) return undefined
      return `${domain} does not receive mail (no Federizer or Internet mail service is published for it); check the spelling of ${address}`
    }
    return `the mail service of ${domain} could not be reached to check ${address}; try again in a minute (${detail})`
  }
}

/**
 * Checks each auto-forward target before it is saved: the domain must be discoverable (docs/protocol.md
 * §5) or take Internet mail (RFC 5321 §5.1, for the SMTP bridge), and a same-domain target must be an
 * existing mailbox. Throws InvalidInputError (400).
 */
export async function checkForwardTargets(ctx: ApiContext, targets: string[]): Promise<void> {
  const problems = (await Promise.all(targets.map((t) => forwardTargetProblem(ctx, t)))).filter(
    (p): p is string => p !== undefined,
  )
  if (problems.length > 0) throw new InvalidInputError(`cannot forward there: ${problems.join('; ')}`)
}
