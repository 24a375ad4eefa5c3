import { ACCESS_TOKEN_TYP, verifyJwt } from '@federizer/protocol'
import { findRefreshToken, revokeJwt, revokeRefreshFamily } from '@federizer/store'
import type { Request, Response } from 'express'
import type { GatewayContext } from '../context.ts'
import { authenticateClient } from './client-auth.ts'
import { OAuthError, sendOAuthError, toOAuthError } from './errors.ts'
import { readBody } from './form.ts'

/**
 * POST /revoke: a refresh token revokes its whole family; an access token issued here is recorded as
 * revoked until its `exp` (it can no longer be exchanged). Unknown or foreign tokens answer 200 too.
 * @see RFC 7009 §2.1, §2.2
 */
export function revocationEndpoint(ctx: GatewayContext) {
  return async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store')
    try {
      const params = readBody(req)
      const client = await authenticateClient(ctx, params, req.headers.authorization)
      const token = params.require('token')
      const hint = params.get('token_type_hint')
      if (hint !== undefined && hint !== 'refresh_token' && hint !== 'access_token') {
        throw new OAuthError(
          'unsupported_token_type',
          `token_type_hint "${hint.slice(0, 50)}" is not supported`,
        )
      }
      const refresh = await findRefreshToken(ctx.db, token)
      if (refresh) {
        if (refresh.clientId !== client.clientId) {
          throw new OAuthError('unauthorized_client', 'the token was issued to another client')
        }
        await revokeRefreshFamily(ctx.db, refresh.familyId, ctx.now())
      } else if (token.split('.').length === 3) {
        await revokeAccessToken(ctx, token, client.clientId)
      }
      res.status(200).end()
    } catch (e) {
      sendOAuthError(res, toOAuthError(e, 'subject_token'))
    }
  }
}

async function revokeAccessToken(ctx: GatewayContext, token: string, clientId: string): Promise<void> {
  let payload: Record<string, unknown>
  try {
    ;({ payload } = await verifyJwt(token, {
      typ: ACCESS_TOKEN_TYP,
      resolveKey: ctx.as.ownKeys,
      now: ctx.now(),
      issuer: ctx.as.issuer,
    }))
  } catch {
    return // RFC 7009 §2.2: an invalid token needs no revocation
  }
  if (payload.client_id !== clientId)
    throw new OAuthError('unauthorized_client', 'the token was issued to another client')
  if (typeof payload.jti === 'string' && typeof payload.exp === 'number')
    await revokeJwt(ctx.db, payload.jti, payload.exp)
}
