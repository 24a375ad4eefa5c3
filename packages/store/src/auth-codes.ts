import { hashToken, randomToken } from './auth-hash.ts'
import type { Db } from './db.ts'

export interface AuthCodeGrant {
  clientId: string
  account: string
  redirectUri: string
  codeChallenge: string
  scope: string
}

export type ConsumeCodeResult =
  | { status: 'ok'; grant: AuthCodeGrant; codeHash: string }
  | { status: 'unknown' | 'expired' }
  /** The code was already used: the caller revokes what it issued (RFC 6749 §4.1.2). */
  | { status: 'replayed'; familyId: string | null; accessJti: string | null; accessExp: number | null }

/** Stores a single-use authorization code bound to client, redirect_uri and PKCE challenge; returns the code. */
export async function createAuthCode(
  db: Db,
  grant: AuthCodeGrant,
  options: { now: number; ttlSeconds: number },
) {
  const code = randomToken()
  await db
    .insertInto('auth_codes')
    .values({
      code_hash: hashToken(code),
      client_id: grant.clientId,
      account: grant.account,
      redirect_uri: grant.redirectUri,
      code_challenge: grant.codeChallenge,
      scope: grant.scope,
      expires_at: options.now + options.ttlSeconds,
      consumed_at: null,
      family_id: null,
      access_jti: null,
      access_exp: null,
      created_at: options.now,
    })
    .execute()
  return code
}

/**
 * Marks a code consumed (atomically: of two concurrent redemptions only one gets `ok`).
 * @see RFC 6749 §4.1.2, §10.5
 */
export async function consumeAuthCode(db: Db, code: string, now: number): Promise<ConsumeCodeResult> {
  const codeHash = hashToken(code)
  const row = await db
    .selectFrom('auth_codes')
    .selectAll()
    .where('code_hash', '=', codeHash)
    .executeTakeFirst()
  if (!row) return { status: 'unknown' }
  if (row.consumed_at !== null) {
    await markReplayed(db, codeHash)
    return {
      status: 'replayed',
      familyId: row.family_id,
      accessJti: row.access_jti,
      accessExp: row.access_exp,
    }
  }
  const updated = await db
    .updateTable('auth_codes')
    .set({ consumed_at: now })
    .where('code_hash', '=', codeHash)
    .where('consumed_at', 'is', null)
    .executeTakeFirst()
  if (Number(updated.numUpdatedRows) === 0) {
    await markReplayed(db, codeHash)
    const again = await db
      .selectFrom('auth_codes')
      .selectAll()
      .where('code_hash', '=', codeHash)
      .executeTakeFirst()
    return {
      status: 'replayed',
      familyId: again?.family_id ?? null,
      accessJti: again?.access_jti ?? null,
      accessExp: again?.access_exp ?? null,
    }
  }
  if (row.expires_at <= now) return { status: 'expired' }
  return {
    status: 'ok',
    codeHash,
    grant: {
      clientId: row.client_id,
      account: row.account,
      redirectUri: row.redirect_uri,
      codeChallenge: row.code_challenge,
      scope: row.scope,
    },
  }
}

async function markReplayed(db: Db, codeHash: string): Promise<void> {
  await db.updateTable('auth_codes').set({ replayed: 1 }).where('code_hash', '=', codeHash).execute()
}

/**
 * Records what a code issued, so that a replay of the code can revoke it. Returns true when a replay
 * happened while the tokens were being issued (it found nothing to revoke yet): the caller revokes them.
 */
export async function recordCodeIssue(
  db: Db,
  codeHash: string,
  issued: { familyId: string; accessJti: string; accessExp: number },
): Promise<boolean> {
  await db
    .updateTable('auth_codes')
    .set({ family_id: issued.familyId, access_jti: issued.accessJti, access_exp: issued.accessExp })
    .where('code_hash', '=', codeHash)
    .execute()
  const row = await db
    .selectFrom('auth_codes')
    .select('replayed')
    .where('code_hash', '=', codeHash)
    .executeTakeFirst()
  return row?.replayed === 1
}

/** Deletes codes past their expiry (kept a day longer so a late replay is still recognised). */
export async function pruneAuthCodes(db: Db, now: number): Promise<void> {
  await db
    .deleteFrom('auth_codes')
    .where('expires_at', '<', now - 86400)
    .execute()
}
