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

/** The account's auto-forward: where to, and whether its own mailbox keeps (and fetches) a copy. */
export async function getAutoForwardSettings(
  db: Db,
  account: string,
): Promise<{ to: string[]; keepCopy: boolean } | null> {
  const row = await db
    .selectFrom('account_settings')
    .select(['auto_forward', 'auto_forward_keep_copy'])
    .where('account', '=', account.toLowerCase())
    .executeTakeFirst()
  const to = row?.auto_forward ? (JSON.parse(row.auto_forward) as string[]) : []
  return to.length ? { to, keepCopy: row?.auto_forward_keep_copy === 1 } : null
}

/**
 * Sets (or clears with null / []) the account's auto-forward addresses, stored lower-cased. Without
 * `keepCopy` the forwarder keeps only the placeholder and never fetches (the seed's pure forward).
 */
export async function setAutoForward(
  db: Db,
  account: string,
  to: string[] | null,
  options: { keepCopy?: boolean } = {},
): Promise<void> {
  const list = to?.length ? [...new Set(to.map((a) => a.trim().toLowerCase()))] : null
  const values = {
    auto_forward: list ? JSON.stringify(list) : null,
    auto_forward_keep_copy: options.keepCopy ? 1 : 0,
    updated_at: nowSeconds(),
  }
  await db
    .insertInto('account_settings')
    .values({ account: account.toLowerCase(), ...values })
    .onConflict((oc) => oc.column('account').doUpdateSet(values))
    .execute()
}

/** Whether the account's message list groups by conversation (on by default). */
export async function getConversationView(db: Db, account: string): Promise<boolean> {
  const row = await db
    .selectFrom('account_settings')
    .select('conversation_view')
    .where('account', '=', account.toLowerCase())
    .executeTakeFirst()
  return row ? row.conversation_view === 1 : true
}

export async function setConversationView(db: Db, account: string, on: boolean): Promise<void> {
  const values = { conversation_view: on ? 1 : 0, updated_at: nowSeconds() }
  await db
    .insertInto('account_settings')
    .values({ account: account.toLowerCase(), auto_forward: null, ...values })
    .onConflict((oc) => oc.column('account').doUpdateSet(values))
    .execute()
}
