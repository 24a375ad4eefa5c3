import {
  domainOf,
  HOP_ASSERTION_TYP,
  type HopAssertionClaims,
  readProtectedHeader,
  verifyHopAssertion,
} from '@federizer/protocol'
import { decodeJwt } from 'jose'
import type { GatewayContext } from '../context.ts'
import { OAuthError, toOAuthError } from './errors.ts'

export interface VerifiedForeignAssertion {
  claims: HopAssertionClaims
  /** Domain of the hop's sender (`sub`): the domain whose AS and MTA were checked through discovery. */
  senderDomain: string
}

/**
 * Verifies a hop assertion issued by another domain's AS: typ and alg first (cheap, before any network),
 * then `iss` must be the AS discovered for the domain of the hop sender (`sub`), the signature must verify
 * with that issuer's JWKS, exp (unless `checkExpiry: false`) and iat must hold, and `azp` must be the MTA client_id that domain's mailbox
 * publishes (the DNS-bound client identity of the seed's Note 2).
 * @see docs/protocol.md §5 (issuer and azp of every hop); RFC 8693 §2.1 subject_token; RFC 7519 §7.2
 */
export async function verifyForeignAssertion(
  ctx: GatewayContext,
  jws: string,
  options: { checkExpiry?: boolean } = {},
): Promise<VerifiedForeignAssertion> {
  let sub: unknown
  let iss: unknown
  try {
    readProtectedHeader(jws, HOP_ASSERTION_TYP)
    ;({ sub, iss } = decodeJwt(jws))
  } catch (e) {
    throw toOAuthError(e, 'subject_token')
  }
  if (typeof sub !== 'string' || typeof iss !== 'string') {
    throw new OAuthError(
      'invalid_grant',
      'subject_token: a hop assertion needs string "iss" and "sub" claims',
    )
  }
  let senderDomain: string
  try {
    senderDomain = domainOf(sub)
  } catch {
    throw new OAuthError('invalid_grant', 'subject_token: "sub" is not a mail address')
  }
  const discovery = ctx.as.discovery
  try {
    const as = await discovery.authorizationServer(senderDomain)
    if (as.issuer !== iss) {
      throw new OAuthError(
        'invalid_grant',
        `subject_token: iss "${iss.slice(0, 200)}" is not the authorization server discovered for ${senderDomain} (${as.issuer})`,
      )
    }
    const { claims } = await verifyHopAssertion(jws, {
      resolveKey: discovery.keyResolverFor(as.issuer),
      now: ctx.now(),
      issuer: as.issuer,
      ...(options.checkExpiry === false ? { checkExpiry: false } : {}),
    })
    const peer = await discovery.domainPeer(senderDomain)
    if (claims.azp !== peer.mtaClientId) {
      throw new OAuthError(
        'invalid_grant',
        `subject_token: azp "${claims.azp}" is not the MTA client_id ${senderDomain} publishes (${peer.mtaClientId})`,
      )
    }
    return { claims, senderDomain }
  } catch (e) {
    throw toOAuthError(e, 'subject_token')
  }
}
