import type { GatewayContext } from '../context.ts'
import { authenticateClient } from './client-auth.ts'
import type { TokenDpop } from './dpop.ts'
import { OAuthError, toOAuthError } from './errors.ts'
import type { FormParams } from './form.ts'
import { maybePrune } from './housekeeping.ts'
import { authorizationCodeGrant, refreshTokenGrant } from './token-code.ts'
import { TOKEN_EXCHANGE_GRANT, tokenExchangeGrant } from './token-exchange.ts'

/** A token request, whatever carried it: POST /token (token-endpoint.ts) or the own MTA in process (in-process.ts). */
export interface TokenRequest {
  /** Reads the form; a malformed one throws `invalid_request`. */
  form(): FormParams
  /** The `Authorization` header (refused: no HTTP client authentication here). */
  authorization: string | undefined
  /** The `DPoP` header(s); the key itself for an in-process request. */
  dpop: TokenDpop
  /** The limiter key of the caller's address (client-address.ts). */
  address: string
  /**
   * Made in this process by the domain's own MTA or api (in-process.ts): the caller is the MTA client,
   * whose key this process holds, so there is no client assertion to check; a token exchange only.
   */
  inProcess?: boolean
}

/** The answer to send: status, headers (always `Cache-Control: no-store`) and the JSON body. */
export interface TokenAnswer {
  status: number
  headers: Record<string, string>
  body: object
}

/**
 * The token endpoint's logic: rate limit per client, client authentication, then the grant. Every
 * answer carries `Cache-Control: no-store` (RFC 6749 §5.1) and, when nonces are on, a fresh `DPoP-Nonce`.
 * @see RFC 6749 §3.2, §5; RFC 8693 §2; RFC 9449 §8
 */
export async function answerTokenRequest(ctx: GatewayContext, request: TokenRequest): Promise<TokenAnswer> {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store', Pragma: 'no-cache' }
  if (ctx.as.dpopNonces.required) {
    // The nonce key is read from the store once; if the store is down the proof check answers 503.
    const nonce = await ctx.as.dpopNonces.current(ctx.now()).catch(() => undefined)
    if (nonce) headers['DPoP-Nonce'] = nonce
  }
  maybePrune(ctx)
  try {
    return { status: 200, headers, body: await grant(ctx, request) }
  } catch (e) {
    const error = toOAuthError(e, 'subject_token')
    if (error.code === 'server_error') ctx.logger.error({ err: e }, 'token endpoint failed')
    return {
      status: error.status,
      headers: { ...headers, ...error.options.headers },
      body: { error: error.code, error_description: error.description },
    }
  }
}

async function grant(ctx: GatewayContext, request: TokenRequest): Promise<object> {
  const params = request.form()
  // Failed client authentications count against the caller's address only; once over the limit that
  // address's failures are answered 429. A client that authenticates is never held back by strangers'
  // failures from the same address (behind one proxy, or the domain's own MTA and api on loopback).
  const { address } = request
  const grantType = params.require('grant_type')
  let client: Awaited<ReturnType<typeof authenticateClient>>
  try {
    client = request.inProcess
      ? ownMta(ctx, grantType)
      : await authenticateClient(ctx, params, request.authorization)
  } catch (e) {
    // An outage is not a failed authentication: it is not counted against the address.
    if (e instanceof OAuthError && e.code === 'temporarily_unavailable') throw e
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
  if (grantType === 'authorization_code') return authorizationCodeGrant(ctx, client, params)
  if (grantType === 'refresh_token') return refreshTokenGrant(ctx, client, params)
  if (grantType === TOKEN_EXCHANGE_GRANT) return tokenExchangeGrant(ctx, client, params, request.dpop)
  throw new OAuthError('unsupported_grant_type', `grant_type "${grantType.slice(0, 100)}" is not supported`)
}

/** The client of an in-process request: the domain's MTA, for a token exchange. */
function ownMta(ctx: GatewayContext, grantType: string) {
  const client = ctx.as.clients.get(ctx.config.mtaClientId)
  if (client?.kind !== 'mta') throw new Error('the domain has no MTA client registered')
  if (grantType !== TOKEN_EXCHANGE_GRANT)
    throw new OAuthError('invalid_request', 'an in-process token request is a token exchange')
  return client
}

function tooMany(wait: number, why: string): OAuthError {
  return new OAuthError('slow_down', `${why}; retry in ${wait} s`, {
    status: 429,
    headers: { 'Retry-After': String(wait) },
  })
}
