import { CLIENT_ASSERTION_TYPE, verifyClientAssertion } from '@federizer/protocol'
import { decodeJwt } from 'jose'
import type { GatewayContext } from '../context.ts'
import type { RegisteredClient } from './clients.ts'
import { OAuthError, toOAuthError } from './errors.ts'
import type { FormParams } from './form.ts'

/** The client_id a request names (form `client_id`, else the client assertion's `sub`), before any check. */
function claimedClientId(params: FormParams): string | undefined {
  const explicit = params.get('client_id')
  if (explicit !== undefined) return explicit
  const assertion = params.get('client_assertion')
  if (assertion === undefined) return undefined
  try {
    const sub = decodeJwt(assertion).sub
    return typeof sub === 'string' ? sub : undefined
  } catch {
    return undefined
  }
}

/**
 * Authenticates the client of a token or revocation request: `none` for the webmail (client_id only),
 * `private_key_jwt` for the MTA. Anything else, or a mismatch, is `invalid_client` (401).
 * @see RFC 6749 §2.3, §3.2.1; RFC 7523 §2.2, §3; RFC 8414 §2 token_endpoint_auth_methods_supported
 */
export async function authenticateClient(
  ctx: GatewayContext,
  params: FormParams,
  authorization: string | undefined,
): Promise<RegisteredClient> {
  if (authorization !== undefined) {
    throw new OAuthError(
      'invalid_client',
      'HTTP client authentication is not supported: use private_key_jwt or none',
      {
        headers: { 'WWW-Authenticate': 'Basic realm="federizer", error="invalid_client"' },
      },
    )
  }
  const clientId = claimedClientId(params)
  if (clientId === undefined) throw new OAuthError('invalid_client', 'the request names no client_id')
  const client = ctx.as.clients.get(clientId)
  if (!client)
    throw new OAuthError('invalid_client', `client_id "${clientId.slice(0, 100)}" is not registered here`)
  const assertionType = params.get('client_assertion_type')
  const assertion = params.get('client_assertion')
  if (client.kind === 'public') {
    if (assertionType !== undefined || assertion !== undefined) {
      throw new OAuthError(
        'invalid_client',
        'the webmail is a public client: it does not send client assertions',
      )
    }
    return client
  }
  if (assertionType !== CLIENT_ASSERTION_TYPE || assertion === undefined) {
    throw new OAuthError(
      'invalid_client',
      `client "${clientId}" must authenticate with private_key_jwt (client_assertion_type ${CLIENT_ASSERTION_TYPE})`,
    )
  }
  try {
    await verifyClientAssertion(assertion, {
      clientId,
      // RFC 7523 §3 as profiled (docs/protocol.md §4): the issuer identifies the AS; the token endpoint
      // URL is refused, so an assertion made for one endpoint of this AS cannot be spent at another.
      audience: [ctx.as.issuer],
      resolveKey: client.resolveKey,
      now: ctx.now(),
      replay: ctx.as.replay,
    })
  } catch (e) {
    throw toOAuthError(e, 'client_assertion')
  }
  return client
}
