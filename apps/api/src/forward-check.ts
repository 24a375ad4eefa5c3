import { Resolver } from 'node:dns/promises'
import { createDiscovery, type Discovery, domainOf } from '@federizer/protocol'
import { findUser, InvalidInputError } from '@federizer/store'
import type { ApiContext } from './context.ts'

const discoveries = new WeakMap<ApiContext, Discovery>()

/** The api's own discovery client (SRV over the domain's DNS servers), made on first use. */
function discoveryOf(ctx: ApiContext): Discovery {
  let d = discoveries.get(ctx)
  if (!d) {
    const resolver = new Resolver({ timeout: 2000, tries: 2 })
    if (ctx.config.dnsServers?.length) resolver.setServers(ctx.config.dnsServers)
    d = createDiscovery({
      resolveSrv: (name) => resolver.resolveSrv(name),
      fetch: ctx.fetch,
      now: ctx.now,
      allowInsecure: ctx.config.allowInsecureTargets,
      failureTtlSeconds: 5,
    })
    discoveries.set(ctx, d)
  }
  return d
}

/** DNS answers meaning "this name has no such record" (vs. a resolver that could not answer). */
const ABSENT = /ENOTFOUND|ENODATA|NXDOMAIN|not a domain name/i

/** Why mail to `address` could not be forwarded, in words a person can act on; undefined when it can. */
export async function forwardTargetProblem(ctx: ApiContext, address: string): Promise<string | undefined> {
  const domain = domainOf(address.toLowerCase())
  if (domain === ctx.config.domain.toLowerCase()) {
    return (await findUser(ctx.db, address)) ? undefined : `there is no mailbox ${address} at ${domain}`
  }
  try {
    await discoveryOf(ctx).domainPeer(domain)
    return undefined
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e)
    if (ABSENT.test(detail)) {
      return `${domain} does not receive Federizer mail (no mail service is published for it); check the spelling of ${address}`
    }
    return `the mail service of ${domain} could not be reached to check ${address}; try again in a minute (${detail})`
  }
}

/**
 * Checks each auto-forward target before it is saved: the domain must be discoverable (protocol.md,
 * Discovery) and a same-domain target must be an existing mailbox. Throws InvalidInputError (400).
 */
export async function checkForwardTargets(ctx: ApiContext, targets: string[]): Promise<void> {
  const problems = (await Promise.all(targets.map((t) => forwardTargetProblem(ctx, t)))).filter(
    (p): p is string => p !== undefined,
  )
  if (problems.length > 0) throw new InvalidInputError(`cannot forward there: ${problems.join('; ')}`)
}
