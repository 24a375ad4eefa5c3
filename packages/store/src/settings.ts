import type { Db } from './db.ts'
import { nowSeconds } from './tx.ts'

/** The account's auto-forward addresses, or null when auto-forward is off. Read by the AS and the gateway. */
export async function getAutoForward(db: Db, account: string): Promise<string[] | null> {
  const row = await db
    .selectFrom('account_settings')
    .select('auto_forward')
    .where('account', '=', account.toLowerCase())
    .executeTakeFirst()
  if (!row?.auto_forward) return null
  const list = JSON.parse(row.auto_forward) as string[]
  return list.length ? list : null
}

/** Sets (or clears with null / []) the account's auto-forward addresses; addresses are stored lower-cased. */
export async function setAutoForward(db: Db, account: string, to: string[] | null): Promise<void> {
  const list = to?.length ? [...new Set(to.map((a) => a.trim().toLowerCase()))] : null
  const value = list ? JSON.stringify(list) : null
  await db
    .insertInto('account_settings')
    .values({ account: account.toLowerCase(), auto_forward: value, updated_at: nowSeconds() })
    .onConflict((oc) => oc.column('account').doUpdateSet({ auto_forward: value, updated_at: nowSeconds() }))
    .execute()
}
