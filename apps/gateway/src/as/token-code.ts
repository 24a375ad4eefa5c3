import { isProtocolError, verifyPkceS256 } from '@federizer/protocol'
import {
  consumeAuthCode,
  findUser,
  issueRefreshToken,
  recordCodeIssue,
  revokeJwt,
  revokeRefreshFamily,
  rotateRefreshToken,
} from '@federizer/store'
import type { GatewayContext } from '../context.ts'
import type { RegisteredClient } from './clients.ts'
import { OAuthError } from './errors.ts'
import type { FormParams } from './form.ts'
import { issueAccessToken } from './tokens.ts'

export interface TokenResponse {
  access_token: string
  token_type: 'Bearer' | 'DPoP' | 'N_A'
  expires_in: number
  refresh_token?: string
  scope?: string
  issued_token_type?: string
}

function requirePublic(client: RegisteredClient, grant: string) {
  if (client.kind !== 'public') {
    throw new OAuthError('unauthorized_client', `client "${client.clientId}" may not use the ${grant} grant`)
  }
  return client
}

async function requireEnabled(ctx: GatewayContext, account: string) {
  const user = await findUser(ctx.db, account)
  if (!user || user.disabled)
    throw new OAuthError('invalid_grant', `the account ${account} is disabled or gone`)
  return user
}

/**
 * The authorization_code grant with PKCE S256: the code is single-use, bound to client, redirect_uri and
 * challenge; a replay revokes the refresh family and access token the code issued.
 * @see RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9700 §4.14.2
 */
export async function authorizationCodeGrant(
  ctx: GatewayContext,
  client: RegisteredClient,
  params: FormParams,
): Promise<TokenResponse> {
  const web = requirePublic(client, 'authorization_code')
  const code = params.require('code')
  const redirectUri = params.require('redirect_uri')
  const verifier = params.require('code_verifier')
  const now = ctx.now()
  const result = await consumeAuthCode(ctx.db, code, now)
  if (result.status === 'unknown')
    throw new OAuthError('invalid_grant', 'the authorization code is not valid')
  if (result.status === 'expired')
    throw new OAuthError('invalid_grant', 'the authorization code has expired; sign in again')
  if (result.status === 'replayed') {
    if (result.familyId) await revokeRefreshFamily(ctx.db, result.familyId, now)
    if (result.accessJti && result.accessExp) await revokeJwt(ctx.db, result.accessJti, result.accessExp)
    ctx.logger.warn({ client: web.clientId }, 'authorization code replayed; revoked the tokens it issued')
    throw new OAuthError(
      'invalid_grant',
      'the authorization code was already used; the tokens issued with it are revoked',
    )
  }
  if (result.status !== 'ok')
    throw new OAuthError('invalid_grant', 'the authorization code has expired; sign in again')
  const { grant } = result
  if (grant.clientId !== web.clientId)
    throw new OAuthError('invalid_grant', 'the authorization code was issued to another client')
  if (grant.redirectUri !== redirectUri) {
    throw new OAuthError('invalid_grant', 'redirect_uri does not match the one of the authorization request')
  }
  try {
    verifyPkceS256(verifier, grant.codeChallenge)
  } catch (e) {
    if (isProtocolError(e, 'invalid_pkce')) throw new OAuthError('invalid_grant', `PKCE: ${e.message}`)
    throw e
  }
  await requireEnabled(ctx, grant.account)
  const access = await issueAccessToken(ctx, {
    account: grant.account,
    clientId: web.clientId,
    scope: grant.scope,
  })
  const refresh = await issueRefreshToken(
    ctx.db,
    { account: grant.account, clientId: web.clientId, scope: grant.scope },
    { now, ttlSeconds: ctx.as.lifetimes.refreshToken },
  )
  const replayedMeanwhile = await recordCodeIssue(ctx.db, result.codeHash, {
    familyId: refresh.familyId,
    accessJti: access.jti,
    accessExp: access.exp,
  })
  if (replayedMeanwhile) {
    // A second redemption raced this one: nobody keeps tokens from a code used twice.
    await revokeRefreshFamily(ctx.db, refresh.familyId, now)
    await revokeJwt(ctx.db, access.jti, access.exp)
    throw new OAuthError(
      'invalid_grant',
      'the authorization code was used twice; the tokens issued with it are revoked',
    )
  }
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    refresh_token: refresh.refreshToken,
    scope: grant.scope,
  }
}

/**
 * The refresh_token grant with rotation: each refresh token works once; presenting a rotated one
 * revokes its whole family (the thief and the victim both have to sign in again).
 * @see RFC 6749 §6, RFC 9700 §4.14.2
 */
export async function refreshTokenGrant(
  ctx: GatewayContext,
  client: RegisteredClient,
  params: FormParams,
): Promise<TokenResponse> {
  const web = requirePublic(client, 'refresh_token')
  const token = params.require('refresh_token')
  const requestedScope = params.get('scope')
  if (requestedScope?.split(' ').some((s) => !web.scopes.includes(s))) {
    throw new OAuthError(
      'invalid_scope',
      `a refresh may not widen the scope beyond "${web.scopes.join(' ')}"`,
    )
  }
  const now = ctx.now()
  const result = await rotateRefreshToken(ctx.db, token, {
    now,
    ttlSeconds: ctx.as.lifetimes.refreshToken,
    clientId: web.clientId,
  })
  switch (result.status) {
    case 'ok':
      break
    case 'reused':
      ctx.logger.warn({ client: web.clientId }, 'refresh token reused; revoked its family')
      throw new OAuthError(
        'invalid_grant',
        'the refresh token was already used; every token of this sign-in is revoked',
      )
    case 'wrong_client':
      throw new OAuthError('invalid_grant', 'the refresh token was issued to another client')
    case 'revoked':
      throw new OAuthError('invalid_grant', 'the refresh token has been revoked; sign in again')
    case 'expired':
      throw new OAuthError('invalid_grant', 'the refresh token has expired; sign in again')
    default:
      throw new OAuthError('invalid_grant', 'the refresh token is not valid')
  }
  await requireEnabled(ctx, result.grant.account)
  const access = await issueAccessToken(ctx, {
    account: result.grant.account,
    clientId: web.clientId,
    scope: result.grant.scope,
  })
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    refresh_token: result.refreshToken,
    scope: result.grant.scope,
  }
}
