import type { Db } from './db.ts'
import { nowSeconds } from './tx.ts'

/** The account's auto-forward addresses, or null when auto-forward is off. Read by the AS and the gateway. */
export async function getAutoForward(db: Db, account: string): Promise<string[] | null> {
  return (await getAutoForwardSettings(db, account))?.to ?? null
}

/** The account's auto-forward as set, switched on or off: the addresses are kept while it is off. */
export async function getForwarding(
  db: Db,
  account: string,
): Promise<{ to: string[]; keepCopy: boolean; enabled: boolean }> {
  const row = await db
    .selectFrom('account_settings')
    .select(['auto_forward', 'auto_forward_keep_copy', 'auto_forward_enabled'])
    .where('account', '=', account.toLowerCase())
    .executeTakeFirst()
  const to = row?.auto_forward ? (JSON.parse(row.auto_forward) as string[]) : []
  return {
    to,
    keepCopy: to.length > 0 ? row?.auto_forward_keep_copy === 1 : true,
    enabled: to.length > 0 && row?.auto_forward_enabled !== 0,
  }
}

/** The account's auto-forward in effect (switched on, with addresses), or null: what delivery and the AS obey. */
export async function getAutoForwardSettings(
  db: Db,
  account: string,
): Promise<{ to: string[]; keepCopy: boolean } | null> {
  const f = await getForwarding(db, account)
  return f.enabled ? { to: f.to, keepCopy: f.keepCopy } : null
}

/**
 * Sets the account's auto-forward addresses (stored lower-cased; null / [] clears them). Without
 * `keepCopy` the forwarder keeps only the placeholder and never fetches (the seed's pure forward);
 * `enabled: false` switches forwarding off and keeps the addresses.
 */
export async function setAutoForward(
  db: Db,
  account: string,
  to: string[] | null,
  options: { keepCopy?: boolean; enabled?: boolean } = {},
): Promise<void> {
  const list = to?.length ? [...new Set(to.map((a) => a.trim().toLowerCase()))] : null
  const values = {
    auto_forward: list ? JSON.stringify(list) : null,
    auto_forward_keep_copy: options.keepCopy ? 1 : 0,
    auto_forward_enabled: options.enabled === false ? 0 : 1,
    updated_at: nowSeconds(),
  }
  await db
    .insertInto('account_settings')
    .values({ account: account.toLowerCase(), ...values })
    .onConflict((oc) => oc.column('account').doUpdateSet(values))
    .execute()
}

/** Switches auto-forward off (the addresses and the copy setting are kept) or on again. */
export async function setAutoForwardEnabled(db: Db, account: string, enabled: boolean): Promise<void> {
  const values = { auto_forward_enabled: enabled ? 1 : 0, updated_at: nowSeconds() }
  await db
    .insertInto('account_settings')
    .values({ account: account.toLowerCase(), auto_forward: null, ...values })
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
