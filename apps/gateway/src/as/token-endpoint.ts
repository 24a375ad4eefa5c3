import type { Request, Response } from 'express'
import type { GatewayContext } from '../context.ts'
import { clientAddressKey } from './client-address.ts'
import { authenticateClient } from './client-auth.ts'
import { OAuthError, sendOAuthError, toOAuthError } from './errors.ts'
import { readBody } from './form.ts'
import { maybePrune } from './housekeeping.ts'
import { authorizationCodeGrant, refreshTokenGrant } from './token-code.ts'
import { TOKEN_EXCHANGE_GRANT, tokenExchangeGrant } from './token-exchange.ts'

/**
 * POST /token: rate limit per client, client authentication, then the grant. Every answer carries
 * `Cache-Control: no-store` (RFC 6749 §5.1) and, when nonces are on, a fresh `DPoP-Nonce`.
 * @see RFC 6749 §3.2, §5; RFC 8693 §2; RFC 9449 §8
 */
export function tokenEndpoint(ctx: GatewayContext) {
  return async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store')
    res.set('Pragma', 'no-cache')
    if (ctx.as.dpopNonces.required) {
      // The nonce key is read from the store once; if the store is down the proof check answers 503.
      const nonce = await ctx.as.dpopNonces.current(ctx.now()).catch(() => undefined)
      if (nonce) res.set('DPoP-Nonce', nonce)
    }
    maybePrune(ctx)
    try {
      const params = readBody(req)
      // Failed client authentications count against the caller's address only; once over the limit that
      // address's failures are answered 429. A client that authenticates is never held back by strangers'
      // failures from the same address (behind one proxy, or the domain's own MTA and api on loopback).
      const address = clientAddressKey(req)
      const grantType = params.require('grant_type')
      let client: Awaited<ReturnType<typeof authenticateClient>>
      try {
        client = await authenticateClient(ctx, params, req.headers.authorization)
      } catch (e) {
        const blocked = await ctx.as.limiter.consume('tokenFailuresPerAddress', address)
        if (blocked > 0) throw tooMany(blocked, 'too many failed client authentications from this address')
        throw e
      }
      // The MTA (confidential) has its own budget; the public webmail client is limited per client and
      // address, so one user cannot exhaust everyone's refreshes.
      const confidential = client.kind !== 'public'
      const key = confidential ? client.clientId : `${client.clientId}:${address}`
      const limit = client.clientId === ctx.config.mtaClientId ? 'tokenPerMtaClient' : 'tokenPerClient'
      const wait = await ctx.as.limiter.consume(limit, key)
      if (wait > 0) throw tooMany(wait, 'too many token requests for this client')
      let body: object
      if (grantType === 'authorization_code') body = await authorizationCodeGrant(ctx, client, params)
      else if (grantType === 'refresh_token') body = await refreshTokenGrant(ctx, client, params)
      else if (grantType === TOKEN_EXCHANGE_GRANT) body = await tokenExchangeGrant(ctx, client, params, req)
      else
        throw new OAuthError(
          'unsupported_grant_type',
          `grant_type "${grantType.slice(0, 100)}" is not supported`,
        )
      res.status(200).json(body)
    } catch (e) {
      const error = toOAuthError(e, 'subject_token')
      if (error.code === 'server_error') ctx.logger.error({ err: e }, 'token endpoint failed')
      sendOAuthError(res, error)
    }
  }
}

function tooMany(wait: number, why: string): OAuthError {
  return new OAuthError('slow_down', `${why}; retry in ${wait} s`, {
    status: 429,
    headers: { 'Retry-After': String(wait) },
  })
}
