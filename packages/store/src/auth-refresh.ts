import { randomUUID } from 'node:crypto'
import { hashToken, randomToken } from './auth-hash.ts'
import type { Db } from './db.ts'
import { inTransaction } from './tx.ts'

export interface RefreshGrant {
  familyId: string
  account: string
  clientId: string
  scope: string
}

export type RotateRefreshResult =
  | { status: 'ok'; grant: RefreshGrant; refreshToken: string }
  | { status: 'unknown' | 'expired' | 'revoked' | 'wrong_client' }
  /** A rotated token came back: the whole family is now revoked (RFC 9700 §4.14.2). */
  | { status: 'reused'; familyId: string }

/** Issues the first refresh token of a new family (one family per sign-in); returns it with its family id. */
export async function issueRefreshToken(
  db: Db,
  input: { account: string; clientId: string; scope: string; familyId?: string },
  options: { now: number; ttlSeconds: number },
): Promise<{ refreshToken: string; familyId: string }> {
  const refreshToken = randomToken()
  const familyId = input.familyId ?? randomUUID()
  await db
    .insertInto('refresh_tokens')
    .values({
      token_hash: hashToken(refreshToken),
      family_id: familyId,
      account: input.account,
      client_id: input.clientId,
      scope: input.scope,
      expires_at: options.now + options.ttlSeconds,
      created_at: options.now,
      rotated_at: null,
      revoked_at: null,
    })
    .execute()
  return { refreshToken, familyId }
}

/**
 * Exchanges a refresh token for a new one in the same family; the old one is marked rotated. Presenting a
 * rotated token again revokes the family.
 * @see RFC 6749 §6, RFC 9700 §4.14.2
 */
export async function rotateRefreshToken(
  db: Db,
  token: string,
  options: { now: number; ttlSeconds: number; clientId: string },
): Promise<RotateRefreshResult> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirst()
    if (!row) return { status: 'unknown' as const }
    if (row.client_id !== options.clientId) return { status: 'wrong_client' as const }
    if (row.revoked_at !== null) return { status: 'revoked' as const }
    if (row.rotated_at !== null) {
      await revokeFamilyIn(trx as unknown as Db, row.family_id, options.now)
      return { status: 'reused' as const, familyId: row.family_id }
    }
    if (row.expires_at <= options.now) return { status: 'expired' as const }
    const updated = await trx
      .updateTable('refresh_tokens')
      .set({ rotated_at: options.now })
      .where('token_hash', '=', row.token_hash)
      .where('rotated_at', 'is', null)
      .executeTakeFirst()
    if (Number(updated.numUpdatedRows) === 0) {
      await revokeFamilyIn(trx as unknown as Db, row.family_id, options.now)
      return { status: 'reused' as const, familyId: row.family_id }
    }
    const refreshToken = randomToken()
    await trx
      .insertInto('refresh_tokens')
      .values({
        token_hash: hashToken(refreshToken),
        family_id: row.family_id,
        account: row.account,
        client_id: row.client_id,
        scope: row.scope,
        expires_at: options.now + options.ttlSeconds,
        created_at: options.now,
        rotated_at: null,
        revoked_at: null,
      })
      .execute()
    return {
      status: 'ok' as const,
      refreshToken,
      grant: { familyId: row.family_id, account: row.account, clientId: row.client_id, scope: row.scope },
    }
  })
}

async function revokeFamilyIn(db: Db, familyId: string, now: number): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .execute()
}

/** Revokes every refresh token of a family (sign-out, code replay, reuse detection). */
export async function revokeRefreshFamily(db: Db, familyId: string, now: number): Promise<void> {
  await revokeFamilyIn(db, familyId, now)
}

/** Finds a refresh token's family and client (revocation endpoint), whatever its state. */
export async function findRefreshToken(db: Db, token: string) {
  const row = await db
    .selectFrom('refresh_tokens')
    .select(['family_id', 'client_id', 'account', 'revoked_at', 'rotated_at', 'expires_at'])
    .where('token_hash', '=', hashToken(token))
    .executeTakeFirst()
  return row
    ? {
        familyId: row.family_id,
        clientId: row.client_id,
        account: row.account,
        revoked: row.revoked_at !== null,
      }
    : undefined
}

/** Counts live (not rotated, not revoked, not expired) refresh tokens of a family. */
export async function liveRefreshTokens(db: Db, familyId: string, now: number): Promise<number> {
  const rows = await db
    .selectFrom('refresh_tokens')
    .select('token_hash')
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .where('rotated_at', 'is', null)
    .where('expires_at', '>', now)
    .execute()
  return rows.length
}
