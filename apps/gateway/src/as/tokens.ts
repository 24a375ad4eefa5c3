import { randomJti, signAccessToken } from '@federizer/protocol'
import type { GatewayContext } from '../context.ts'

/**
 * Signs the webmail's access token (RFC 9068): aud = the api URL, sub = email = the account.
 * @see RFC 9068 §2.2
 */
export async function issueAccessToken(
  ctx: GatewayContext,
  input: { account: string; clientId: string; scope: string },
): Promise<{ token: string; jti: string; exp: number; expiresIn: number }> {
  const iat = ctx.now()
  const exp = iat + ctx.as.lifetimes.accessToken
  const jti = randomJti()
  const token = await signAccessToken(
    {
      iss: ctx.as.issuer,
      sub: input.account,
      email: input.account,
      aud: ctx.config.apiUrl,
      client_id: input.clientId,
      scope: input.scope,
      iat,
      exp,
      jti,
    },
    await ctx.as.signingKey(),
  )
  return { token, jti, exp, expiresIn: exp - iat }
}
