import type { Generated } from 'kysely'

/** Tables of the auth area (owner: gateway-as). Accounts are keyed by the lower-cased address. */
export interface AuthTables {
  users: UsersTable
  auth_codes: AuthCodesTable
  refresh_tokens: RefreshTokensTable
  replay_cache: ReplayCacheTable
  token_revocations: TokenRevocationsTable
  as_sessions: AsSessionsTable
}

export interface UsersTable {
  account: string
  name: string | null
  /** `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`: parameters travel with the hash. */
  password_hash: string
  disabled: Generated<number>
  forward_policy: Generated<'allowed' | 'denied' | 'domains'>
  /** JSON array of lower-cased domains; used when forward_policy = 'domains'. */
  forward_domains: Generated<string>
  /** The operator's storage quota for this account in bytes; NULL: the domain's default. */
  quota_bytes: Generated<number | null>
  created_at: number
  updated_at: number
}

/** Authorization codes, stored by SHA-256 of the code (RFC 6749 §4.1.2, §10.5). */
export interface AuthCodesTable {
  code_hash: string
  client_id: string
  account: string
  redirect_uri: string
  code_challenge: string
  scope: string
  expires_at: number
  consumed_at: number | null
  /** Refresh-token family and access-token jti issued with this code (revoked when the code is replayed). */
  family_id: string | null
  access_jti: string | null
  access_exp: number | null
  /** 1 once a second redemption was attempted (it may race the first one's issuing). */
  replayed: Generated<number>
  created_at: number
}

/** Opaque refresh tokens, stored by SHA-256; one family per sign-in (RFC 9700 §4.14.2 rotation). */
export interface RefreshTokensTable {
  token_hash: string
  family_id: string
  account: string
  client_id: string
  scope: string
  expires_at: number
  created_at: number
  rotated_at: number | null
  revoked_at: number | null
}

/** One-time values (DPoP jti, client-assertion jti) until they expire (RFC 9449 §11.1). */
export interface ReplayCacheTable {
  key: string
  expires_at: number
}

/** Revoked JWT access tokens (by jti) until their `exp` (RFC 7009 §2.1). */
export interface TokenRevocationsTable {
  jti: string
  expires_at: number
}

/** Sign-in sessions at the AS (cookie holds the id; the table holds its SHA-256). */
export interface AsSessionsTable {
  id_hash: string
  account: string
  created_at: number
  expires_at: number
}
