import { hashToken } from './auth-hash.ts'
import type { Db } from './db.ts'
import { inTransaction } from './tx.ts'
import { hashPassword, UserError, verifyPassword } from './users.ts'

/** Sets the display name shown in the From of the user's mail (empty clears it). */
export async function setDisplayName(db: Db, email: string, name: string): Promise<void> {
  const trimmed = name.trim()
  const result = await db
    .updateTable('users')
    .set({ name: trimmed === '' ? null : trimmed, updated_at: Math.floor(Date.now() / 1000) })
    .where('account', '=', email.trim().toLowerCase())
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) === 0) throw new UserError('no_such_user', `there is no account ${email}`)
}

export class WrongPasswordError extends Error {
  override readonly name = 'WrongPasswordError'
}

/**
 * Changes the password when `current` is right, then signs the account out everywhere else: every AS
 * sign-in session is deleted and every refresh-token family is revoked except the one of
 * `keepRefreshToken` (the browser that made the change stays signed in).
 * @see RFC 9700 §4.14.2 (revoking refresh tokens when credentials change)
 */
export async function changePassword(
  db: Db,
  input: { email: string; current: string; next: string; keepRefreshToken?: string; now: number },
): Promise<{ revokedFamilies: number }> {
  const account = input.email.trim().toLowerCase()
  if (!(await verifyPassword(db, account, input.current))) {
    throw new WrongPasswordError('the current password is not right')
  }
  if (input.next === input.current) {
    throw new UserError('weak_password', 'the new password is the same as the current one')
  }
  const passwordHash = await hashPassword(input.next)
  const keep = input.keepRefreshToken
    ? await db
        .selectFrom('refresh_tokens')
        .select('family_id')
        .where('token_hash', '=', hashToken(input.keepRefreshToken))
        .where('account', '=', account)
        .executeTakeFirst()
    : undefined
  return inTransaction(db, async (trx) => {
    await trx
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: input.now })
      .where('account', '=', account)
      .execute()
    await trx.deleteFrom('as_sessions').where('account', '=', account).execute()
    let revoke = trx
      .updateTable('refresh_tokens')
      .set({ revoked_at: input.now })
      .where('account', '=', account)
      .where('revoked_at', 'is', null)
    if (keep) revoke = revoke.where('family_id', '!=', keep.family_id)
    const families = await trx
      .selectFrom('refresh_tokens')
      .select('family_id')
      .distinct()
      .where('account', '=', account)
      .where('revoked_at', 'is', null)
      .where('family_id', '!=', keep?.family_id ?? '')
      .execute()
    await revoke.execute()
    return { revokedFamilies: families.length }
  })
}
