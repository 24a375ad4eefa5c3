import { ALLOWED_ALGS, asMetadataUrl } from '@federizer/protocol'
import type { RequestHandler } from 'express'
import type { GatewayContext } from '../context.ts'
import { MAIL_SCOPE } from './clients.ts'
import { TOKEN_EXCHANGE_GRANT } from './token-exchange.ts'

/**
 * The AS metadata document; `issuer` is config.gatewayUrl exactly, so a client that fetched it from
 * the issuer's RFC 8414 §3.1 URL (the well-known segment inserted before the issuer's path) can compare
 * it byte for byte.
 * @see RFC 8414 §2, §3; RFC 9207 §3; RFC 9449 §5.1; RFC 8693
 */
function authorizationServerMetadata(ctx: GatewayContext) {
  const { issuer, endpoints } = ctx.as
  return {
    issuer,
    authorization_endpoint: endpoints.authorization,
    token_endpoint: endpoints.token,
    revocation_endpoint: endpoints.revocation,
    jwks_uri: endpoints.jwks,
    end_session_endpoint: endpoints.logout,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE_GRANT],
    scopes_supported: [MAIL_SCOPE, 'internet_mail'],
    token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...ALLOWED_ALGS],
    revocation_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    revocation_endpoint_auth_signing_alg_values_supported: [...ALLOWED_ALGS],
    code_challenge_methods_supported: ['S256'],
    dpop_signing_alg_values_supported: [...ALLOWED_ALGS],
    authorization_response_iss_parameter_supported: true,
    service_documentation: `${issuer}/docs`,
  }
}

/** The path the metadata is served at, from the origin's root: RFC 8414 §3.1 inserts, never appends. */
export const metadataPath = (issuer: string) => asMetadataUrl(issuer).pathname

/**
 * Serves the metadata. A public document: any origin may read it (no credentials are involved), so the
 * webmail can discover its AS from the browser (RFC 8414 §3).
 */
export function metadataHandler(ctx: GatewayContext): RequestHandler {
  return (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300')
    res.set('Access-Control-Allow-Origin', '*')
    res.json(authorizationServerMetadata(ctx))
  }
}
