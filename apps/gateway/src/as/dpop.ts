import { verifyDpopProof } from '@federizer/protocol'
import { decodeJwt } from 'jose'
import type { GatewayContext } from '../context.ts'
import { OAuthError, toOAuthError } from './errors.ts'

/**
 * The key of a token request made in this process by the domain's own MTA or api (in-process.ts): the
 * thumbprint of the ephemeral public key it generated, given directly instead of proven by a signed
 * proof; there is no request on a network to bind, replay or relay.
 */
export interface InProcessKey {
  inProcessJkt: string
}

/** The `DPoP` header(s) of a token request over HTTP, or the key of an in-process one. */
export type TokenDpop = string | string[] | undefined | InProcessKey

/**
 * Checks the `DPoP` header of a token request: exactly one proof, for POST and the token endpoint's
 * public URL, iat within the window, jti never seen, the server nonce when nonces are on, and (for a
 * bound subject token) the same key. Returns the proof key's thumbprint (the new token's `cnf.jkt`).
 * An in-process request names its key instead (InProcessKey), which is returned as it is.
 * @see RFC 9449 §4.3, §5, §8, §10
 */
export async function checkTokenDpop(
  ctx: GatewayContext,
  raw: TokenDpop,
  expectedJkt?: string,
): Promise<string> {
  if (typeof raw === 'object' && !Array.isArray(raw)) {
    if (expectedJkt !== undefined && raw.inProcessJkt !== expectedJkt)
      throw new OAuthError('invalid_dpop_proof', 'the key is not the one the subject token is bound to')
    return raw.inProcessJkt
  }
  if (raw === undefined) {
    throw new OAuthError(
      'invalid_dpop_proof',
      'this grant requires a DPoP proof in the "DPoP" header (RFC 9449)',
    )
  }
  if (Array.isArray(raw) || raw.includes(',')) {
    throw new OAuthError('invalid_dpop_proof', 'send exactly one DPoP header')
  }
  const now = ctx.now()
  let nonce: string | undefined
  if (ctx.as.dpopNonces.required) {
    let claimed: unknown
    try {
      claimed = decodeJwt(raw).nonce
    } catch {
      claimed = undefined
    }
    if (typeof claimed !== 'string' || !(await ctx.as.dpopNonces.accepts(claimed, now))) {
      throw new OAuthError(
        'use_dpop_nonce',
        'the DPoP proof must carry the nonce from the DPoP-Nonce header of this response',
        { headers: { 'DPoP-Nonce': await ctx.as.dpopNonces.current(now) } },
      )
    }
    nonce = claimed
  }
  try {
    const verified = await verifyDpopProof(raw, {
      htm: 'POST',
      htu: ctx.as.endpoints.token,
      now,
      replay: ctx.as.replay,
      expectedJkt,
      nonce,
      iatWindowSeconds: ctx.as.dpopIatWindowSeconds,
    })
    return verified.jkt
  } catch (e) {
    throw toOAuthError(e, 'dpop')
  }
}
