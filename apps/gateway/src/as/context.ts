import type { Discovery, KeyResolver, ReplayStore, SigningKey } from '@federizer/protocol'
import type { DomainKeys } from '@federizer/store'
import type { GatewayCore } from '../base.ts'
import { type RegisteredClient, registerClients } from './clients.ts'
import { DpopNonces } from './dpop-nonce.ts'
import { AsLimiter, type AsLimits } from './limiter.ts'

/** What the AS needs from the gateway's base context. */
export type AsBase = Pick<GatewayCore, 'domain' | 'config' | 'logger' | 'now'>

/** Lifetimes in seconds. */
export interface AsLifetimes {
  code: number
  accessToken: number
  refreshToken: number
  session: number
  hopAssertion: number
  fetchToken: number
}

export type { AsLimits }

/** The AS's part of the gateway context, built once at start-up by `createAsContext`. */
export interface AsContext {
  /** = config.gatewayUrl, exactly (RFC 8414 §2: the issuer identifier). */
  issuer: string
  endpoints: { authorization: string; token: string; revocation: string; jwks: string; logout: string }
  keys: DomainKeys
  /** The signing key in force now (re-reads the key file when the operator rotated it). */
  signingKey(): Promise<SigningKey>
  /** Resolves this AS's own public keys (verifying the access tokens it issued). */
  ownKeys: KeyResolver
  clients: Map<string, RegisteredClient>
  /** SRV + HTTPS discovery of other domains (the domain context's). */
  discovery: Discovery
  /** jti replay store on the shared database (DPoP proofs, client assertions; the domain context's). */
  replay: ReplayStore
  dpopNonces: DpopNonces
  /** Rate limits; counters in the store (shared by replicas), the own MTA's in process. */
  limiter: AsLimiter
  limits: AsLimits
  lifetimes: AsLifetimes
  /** Seconds either side of now a DPoP proof's iat may be. */
  dpopIatWindowSeconds: number
}

const DEFAULT_LIFETIMES: AsLifetimes = {
  code: 60,
  accessToken: 600,
  refreshToken: 14 * 86400,
  session: 12 * 3600,
  hopAssertion: 6 * 86400,
  fetchToken: 900,
}

const DEFAULT_LIMITS: AsLimits = {
  loginPerAccount: { max: 10, windowSeconds: 15 * 60 },
  loginPerIp: { max: 50, windowSeconds: 15 * 60 },
  tokenPerClient: { max: 1200, windowSeconds: 60 },
  tokenPerMtaClient: { max: 120_000, windowSeconds: 60 },
  tokenFailuresPerAddress: { max: 60, windowSeconds: 60 },
}

/** Builds the AS context: the domain's keys, replay store and discovery, clients from config, limits. */
export function createAsContext(base: AsBase): AsContext {
  const issuer = base.config.gatewayUrl
  const limits = structuredClone(DEFAULT_LIMITS)
  const limiter = new AsLimiter(base.domain.db, limits)
  const { keys } = base.domain
  return {
    issuer,
    endpoints: {
      authorization: `${issuer}/authorize`,
      token: `${issuer}/token`,
      revocation: `${issuer}/revoke`,
      jwks: `${issuer}/jwks`,
      logout: `${issuer}/logout`,
    },
    keys,
    async signingKey() {
      // A damaged key file (an operator's mistake) must not stop mail: keep signing with the keys loaded.
      await keys
        .refresh()
        .catch((err) => base.logger.error({ err }, 'cannot re-read the AS key file; keeping the loaded keys'))
      return keys.activeSigningKey(base.now())
    },
    // A key rotated in by the operator CLI since start-up is found by re-reading the file once.
    ownKeys: base.domain.ownKeys,
    clients: registerClients(base.config, keys.mtaClientKey.publicJwk),
    discovery: base.domain.discovery,
    replay: base.domain.replay,
    dpopNonces: new DpopNonces(base.domain.db, false),
    limiter,
    limits,
    lifetimes: { ...DEFAULT_LIFETIMES },
    dpopIatWindowSeconds: 60,
  }
}
