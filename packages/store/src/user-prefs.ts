import type { Db } from './db.ts'
import { nowSeconds } from './tx.ts'

/** What the webmail remembers for a person, wherever they sign in. */
export interface UserPrefs {
  /** Signature text per identity (the From address it is added under). */
  signatures: Record<string, string>
  /** Seconds a sent message waits in the outbox so it can be recalled (undo send); null: the domain's. */
  undoSendSeconds: number | null
  readingPane: 'right' | 'bottom' | 'off'
  density: 'comfortable' | 'compact'
  /** Images and other remote content in HTML mail: ask each time, load for contacts, or never. */
  remoteContent: 'ask' | 'contacts' | 'never'
}

export const DEFAULT_PREFS: UserPrefs = {
  signatures: {},
  undoSendSeconds: null,
  readingPane: 'right',
  density: 'comfortable',
  remoteContent: 'ask',
}

/** The account's preferences, the defaults filling what was never set. */
export async function getUserPrefs(db: Db, account: string): Promise<UserPrefs> {
  const row = await db
    .selectFrom('account_settings')
    .select('prefs')
    .where('account', '=', account.toLowerCase())
    .executeTakeFirst()
  const stored = row?.prefs ? (JSON.parse(row.prefs) as Partial<UserPrefs>) : {}
  return { ...DEFAULT_PREFS, ...stored }
}

/** Merges `patch` into the stored preferences (validated by the caller) and returns the result. */
export async function setUserPrefs(db: Db, account: string, patch: Partial<UserPrefs>): Promise<UserPrefs> {
  const next = { ...(await getUserPrefs(db, account)), ...patch }
  const values = { prefs: JSON.stringify(next), updated_at: nowSeconds() }
  await db
    .insertInto('account_settings')
    .values({ account: account.toLowerCase(), auto_forward: null, ...values })
    .onConflict((oc) => oc.column('account').doUpdateSet(values))
    .execute()
  return next
}

/** Normalises a blocked-sender entry: a whole address, or `@domain` for everyone at a domain. */
export function normalizeBlockEntry(entry: string): string {
  const e = entry.trim().toLowerCase()
  return e.startsWith('*@') ? e.slice(1) : e
}

/** Whether `entry` (normalised) matches the sender `address`. */
export function blockMatches(entry: string, address: string): boolean {
  const a = address.trim().toLowerCase()
  return entry.startsWith('@') ? a.endsWith(entry) : a === entry
}

export async function listBlockedSenders(db: Db, account: string): Promise<string[]> {
  const rows = await db
    .selectFrom('blocked_senders')
    .select('address')
    .where('account', '=', account.toLowerCase())
    .orderBy('address')
    .execute()
  return rows.map((r) => r.address)
}

export async function blockSender(db: Db, account: string, entry: string): Promise<void> {
  await db
    .insertInto('blocked_senders')
    .values({ account: account.toLowerCase(), address: normalizeBlockEntry(entry), created_at: nowSeconds() })
    .onConflict((oc) => oc.columns(['account', 'address']).doNothing())
    .execute()
}

export async function unblockSender(db: Db, account: string, entry: string): Promise<void> {
  await db
    .deleteFrom('blocked_senders')
    .where('account', '=', account.toLowerCase())
    .where('address', '=', normalizeBlockEntry(entry))
    .execute()
}

/** Whether the account has blocked `sender` (by address or by its domain). */
export async function isSenderBlocked(db: Db, account: string, sender: string): Promise<boolean> {
  const a = sender.trim().toLowerCase()
  const domain = `@${a.slice(a.lastIndexOf('@') + 1)}`
  const row = await db
    .selectFrom('blocked_senders')
    .select('address')
    .where('account', '=', account.toLowerCase())
    .where('address', 'in', [a, domain])
    .executeTakeFirst()
  return row !== undefined
}
