import type { Resolver } from 'node:dns/promises'
import { domainOf } from '@federizer/protocol'
import { findUser, InvalidInputError } from '@federizer/store'
import type { ApiContext } from './context.ts'

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
async function forwardTargetProblem(ctx: ApiContext, address: string): Promise<string | undefined> {
  const domain = domainOf(address.toLowerCase())
  if (domain === ctx.config.domain.toLowerCase()) {
    return (await findUser(ctx.db, address)) ? undefined : `there is no mailbox ${address} at ${domain}`
  }
  const { discovery, dns: resolver } = ctx.domain
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
