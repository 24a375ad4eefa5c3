import { sql } from 'kysely'
import type { Db } from './db.ts'
import { UserError } from './users.ts'

/** What an account stores against its quota, and the quota itself (bytes). */
export interface QuotaUse {
  usedBytes: number
  quotaBytes: number
}

/**
 * Bytes an account uses: every message copy it holds (`messages.size`: the placeholder plus the
 * resources it names, in every mailbox, Trash included) and its uploads no message of its own names yet.
 * A resource shared by several copies counts once per copy, as the user sees it (deduplication saves
 * the operator's disk, not the user's quota). The messages' part is one row that triggers keep
 * (`account_usage`, migration 016), so the check costs the same in a mailbox of a million messages.
 */
export async function accountUsage(db: Db, account: string): Promise<number> {
  return usedBytes(await usageAndQuota(db, account.toLowerCase()))
}

/** The account's quota (the operator's value, else `defaultBytes`) and its use: one statement. */
export async function quotaOf(db: Db, account: string, defaultBytes: number): Promise<QuotaUse> {
  const row = await usageAndQuota(db, account.toLowerCase())
  const quota = row?.quota
  return {
    usedBytes: usedBytes(row),
    quotaBytes: quota === null || quota === undefined ? defaultBytes : Number(quota),
  }
}

const usedBytes = (row: Awaited<ReturnType<typeof usageAndQuota>>): number =>
  Number(row?.messages ?? 0) + Number(row?.uploads ?? 0)

/** The three figures of `quotaOf` as scalar subqueries of one SELECT (a delivery checks it per copy). */
async function usageAndQuota(db: Db, a: string) {
  const { rows } = await sql<{
    quota: number | string | null
    messages: number | string | null
    uploads: number | string | null
  }>`SELECT
      (SELECT quota_bytes FROM users WHERE account = ${a}) AS quota,
      (SELECT message_bytes FROM account_usage WHERE account = ${a}) AS messages,
      (SELECT coalesce(sum(u.size), 0) FROM uploads AS u
        WHERE u.account = ${a} AND NOT EXISTS (
          SELECT r.content_id FROM resource_refs AS r
          WHERE r.content_id = u.content_id AND r.account = ${a} AND r.owner_kind = 'message')) AS uploads`.execute(
    db,
  )
  return rows[0]
}

/** Sets (or with `null` clears, back to the domain default) an account's quota; operator CLI. */
export async function setUserQuota(db: Db, email: string, bytes: number | null): Promise<void> {
  if (bytes !== null && (!Number.isSafeInteger(bytes) || bytes < 0))
    throw new UserError('invalid_quota', `a quota is a whole number of bytes, not ${bytes}`)
  const result = await db
    .updateTable('users')
    .set({ quota_bytes: bytes, updated_at: Math.floor(Date.now() / 1000) })
    .where('account', '=', email.trim().toLowerCase())
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) === 0) throw new UserError('no_such_user', `there is no account ${email}`)
}

/** Human sizes for error sentences ("9.8 MB"). Decimal units, like the webmail. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`
  const units = ['kB', 'MB', 'GB', 'TB']
  let v = n / 1000
  let i = 0
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000
    i++
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`
}
