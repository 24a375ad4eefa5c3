import { cachingKeyResolver } from '@federizer/domain'
import type { DomainConfig } from '@federizer/node'
import type { KeyResolver } from '@federizer/protocol'
import type { JWK } from 'jose'

/** The webmail: a public client (PKCE, no secret) with one exact redirect_uri. @see RFC 6749 §2.1 */
export interface PublicClient {
  kind: 'public'
  clientId: string
  redirectUris: string[]
  scopes: string[]
}

/** The domain's MTA: a confidential client authenticating with private_key_jwt. @see RFC 7523 §2.2 */
export interface MtaClient {
  kind: 'mta'
  clientId: string
  jwks: { keys: JWK[] }
  /** Resolves the client's public key for its client assertions (imported once). */
  resolveKey: KeyResolver
  scopes: string[]
}

export type RegisteredClient = PublicClient | MtaClient

/** The scope of the webmail's access token (the mailbox api). */
export const MAIL_SCOPE = 'mail'

/**
 * The clients registered at start-up from the domain config (no dynamic registration): the webmail with
 * redirect_uri `${apiUrl}/callback`, and the MTA with the public half of `keys/mta-client.json`.
 */
export function registerClients(config: DomainConfig, mtaPublicJwk: JWK): Map<string, RegisteredClient> {
  const clients = new Map<string, RegisteredClient>()
  clients.set(config.webClientId, {
    kind: 'public',
    clientId: config.webClientId,
    redirectUris: [`${config.apiUrl.replace(/\/$/, '')}/callback`],
    scopes: [MAIL_SCOPE],
  })
  clients.set(config.mtaClientId, {
    kind: 'mta',
    clientId: config.mtaClientId,
    jwks: { keys: [mtaPublicJwk] },
    resolveKey: cachingKeyResolver({ jwks: () => ({ keys: [mtaPublicJwk] }) }),
    scopes: ['internet_mail'],
  })
  return clients
}
