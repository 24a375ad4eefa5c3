import {
  type ChainVerification,
  domainOf,
  getStringHeader,
  isHeadersBlock,
  isProtocolError,
  originalHeaders,
  type PlaceholderMessage,
  ProtocolError,
  parseAddress,
  verifyChain,
} from '@federizer/protocol'
import type { GatewayContext } from '../context.ts'
import { cannotVerify, FederationError } from './errors.ts'

/** Domains that may have sent a hop of this chain: the original From and every Forwarded-From. */
function senderDomainsOf(m: PlaceholderMessage): string[] {
  const domains = new Set<string>()
  const from = getStringHeader(originalHeaders(m), 'From')
  if (from) domains.add(domainOf(parseAddress(from).address))
  for (const block of m.envelope) {
    if (!isHeadersBlock(block)) continue
    const fwd = getStringHeader(block.headers, 'Forwarded-From')
    if (fwd) domains.add(domainOf(parseAddress(fwd).address))
  }
  return [...domains]
}

/** The total time one request may spend discovering the AS of its chain's sender domains. */
export const DISCOVERY_BUDGET_MS = 10_000

/** Resolves like `work`, or rejects with discovery_failed once `ms` have passed. */
export async function withinBudget<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ProtocolError('discovery_failed', `discovery took longer than ${ms} ms`)),
      ms,
    )
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Verifies the whole envelope chain of `m`: every assertion's signature (keys resolved only through the
 * JWKS of an issuer discovered via SRV for one of the chain's sender domains, so a forged `iss` never makes
 * us fetch an arbitrary URL), every eht and link, and for each hop that `iss` is the AS discovered for the
 * hop sender's domain and `azp` the MTA client_id that domain's mailbox publishes.
 * @see docs/protocol.md §3 (envelope chain), §5 (discovery)
 */
export async function verifyEnvelopeChain(
  ctx: GatewayContext,
  m: PlaceholderMessage,
  options: { lastHopMustBeFresh: boolean },
): Promise<ChainVerification> {
  const domains = senderDomainsOf(m)
  // In parallel, under one budget for the whole request: a few slow sender domains cannot hold us.
  const found = await withinBudget(
    Promise.allSettled(domains.map((d) => ctx.discovery.authorizationServer(d))),
    DISCOVERY_BUDGET_MS,
  ).catch((e: unknown) => {
    throw cannotVerify(`the chain (senders ${domains.join(', ')})`, e)
  })
  const issuers = new Set<string>()
  for (const [i, result] of found.entries()) {
    const domain = domains[i]
    if (result.status === 'fulfilled') {
      issuers.add(result.value.issuer)
      continue
    }
    const e = result.reason
    // Unreachable now is not a completed failure: retry (item 12); a wrong document is final.
    if (isProtocolError(e) && e.code === 'discovery_failed')
      throw cannotVerify(`the chain (sender ${domain})`, e)
    throw new FederationError(
      'invalid_token',
      `the authorization server of ${domain} is not acceptable${isProtocolError(e) ? ` (${e.code})` : ''}`,
      { cause: e },
    )
  }
  return verifyChain(m, {
    now: ctx.now(),
    lastHopMustBeFresh: options.lastHopMustBeFresh,
    resolveKey: (iss: string) => {
      if (!issuers.has(iss)) {
        return async () => {
          throw new ProtocolError(
            'wrong_issuer',
            `issuer ${iss} is not the discovered AS of any sender domain of this chain (${domains.join(', ')})`,
          )
        }
      }
      return ctx.discovery.keyResolverFor(iss)
    },
    checkHop: async (hop) => {
      if (!hop.senderDomain) throw new ProtocolError('invalid_chain', `hop ${hop.index} has no sender domain`)
      const peer = await ctx.discovery.domainPeer(hop.senderDomain)
      if (hop.iss !== peer.issuer) {
        throw new ProtocolError(
          'wrong_issuer',
          `hop ${hop.index}: the assertion issuer ${hop.iss} is not ${peer.issuer}, the AS discovered for ${hop.senderDomain}`,
        )
      }
      if (hop.azp !== peer.mtaClientId) {
        throw new ProtocolError(
          'invalid_jwt',
          `hop ${hop.index}: azp ${hop.azp} is not ${peer.mtaClientId}, the MTA client_id published by ${hop.senderDomain}`,
        )
      }
    },
  })
}

/** Hop failures found by checking the presented bytes themselves: their reasons name only what was sent. */
const LOCAL_CODES = new Set([
  'malformed_chain',
  'missing_assertion',
  'missing_header',
  'message_id_mismatch',
  'body_digest_mismatch',
  'recipients_digest_mismatch',
  'assertion_link_mismatch',
  'received_mismatch',
  'ehl_incomplete',
  'eht_mismatch',
  'unsigned_header',
  'unsalted_recipients',
  'wrong_issuer',
  'invalid_signature',
  'unknown_key',
  'expired',
  'not_yet_valid',
  'wrong_typ',
  'alg_not_allowed',
  'invalid_jwt',
  'missing_kid',
  'wrong_audience',
  'too_large',
])

/**
 * The reason of a failed hop as a peer may read it. A failure that came out of discovery or a lookup
 * (an address refused as private, a peer document too large, any unexpected error) is summed up by its
 * code: its text may name addresses and hosts this node resolved or connected to, which an
 * unauthenticated peer is never told (issue 12, low). The full reason stays in the log via `cause`.
 */
function shownReason(code: string | undefined, reason: string | undefined): string | undefined {
  // too_large is also what discovery says of a peer document over its cap (its text names the URL).
  if (code && LOCAL_CODES.has(code) && !(code === 'too_large' && /:\/\//.test(reason ?? ''))) return reason
  return `the sender's authorization server, mailbox document or keys are not acceptable (${code ?? 'failed'})`
}

/** The first failing hop of a verification, as a federation error with its reason. */
export function chainFailure(v: ChainVerification): FederationError {
  const bad = v.hops.find((h) => h.status === 'fail')
  // A hop whose keys or peer documents could not be fetched did not complete its check: temporary.
  if (bad?.code === 'discovery_failed') return cannotVerify(`hop ${bad.index}`, bad.reason)
  const reason = bad
    ? `hop ${bad.index} (${bad.kind}): ${shownReason(bad.code, bad.reason) ?? bad.code ?? 'failed'}`
    : 'the chain is empty'
  const tokenCodes = [
    'wrong_issuer',
    'invalid_signature',
    'unknown_key',
    'expired',
    'wrong_typ',
    'alg_not_allowed',
    'invalid_jwt',
    'missing_kid',
  ]
  const code = bad?.code && tokenCodes.includes(bad.code) ? 'invalid_token' : 'invalid_chain'
  return new FederationError(code, `the envelope chain does not verify: ${reason}`, { cause: bad?.reason })
}
