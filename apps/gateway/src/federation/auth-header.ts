import type { IncomingMessage } from 'node:http'
import { FederationError } from './errors.ts'

/**
 * Reads `Authorization: DPoP <token>` and the single `DPoP` proof header.
 * @see RFC 9449 §7.1
 */
export function readDpopCredentials(req: IncomingMessage): { token: string; proof: string } {
  const auth = req.headers.authorization ?? ''
  const match = /^DPoP ([A-Za-z0-9_.~+/-]+=*)$/.exec(auth)
  if (!match?.[1]) {
    throw new FederationError(
      'invalid_token',
      auth
        ? 'the Authorization header must be "DPoP <token>" (RFC 9449 §7.1); Bearer is not accepted'
        : 'the request has no Authorization header: send "Authorization: DPoP <token>" and a DPoP proof',
    )
  }
  const proof = req.headers.dpop
  if (typeof proof !== 'string' || proof.length === 0 || proof.includes(',')) {
    throw new FederationError('invalid_dpop_proof', 'the request must carry exactly one DPoP proof header')
  }
  return { token: match[1], proof }
}
