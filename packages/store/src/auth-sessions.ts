import { hashToken, randomToken } from './auth-hash.ts'
import type { Db } from './db.ts'

/** Starts a sign-in session at the AS; returns the id to put in the (HttpOnly) cookie. */
export async function createAsSession(db: Db, account: string, options: { now: number; ttlSeconds: number }) {
  const id = randomToken()
  await db
    .insertInto('as_sessions')
    .values({
      id_hash: hashToken(id),
      account,
      created_at: options.now,
      expires_at: options.now + options.ttlSeconds,
    })
    .execute()
  return id
}

/** The account of a live session whose user is still enabled, or undefined. */
export async function findAsSession(db: Db, id: string, now: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('as_sessions')
    .innerJoin('users', 'users.account', 'as_sessions.account')
    .select(['as_sessions.account', 'as_sessions.expires_at', 'users.disabled'])
    .where('as_sessions.id_hash', '=', hashToken(id))
    .executeTakeFirst()
  if (!row || row.expires_at <= now || row.disabled !== 0) return undefined
  return row.account
}

export async function deleteAsSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom('as_sessions').where('id_hash', '=', hashToken(id)).execute()
}

export async function pruneAsSessions(db: Db, now: number): Promise<void> {
  await db.deleteFrom('as_sessions').where('expires_at', '<=', now).execute()
}
