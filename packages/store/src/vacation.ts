import type { Db } from './db.ts'
import { nowSeconds } from './tx.ts'

/** The vacation auto-reply (RFC 3834): what is answered, and from when until when. */
export interface VacationSettings {
  enabled: boolean
  subject: string
  text: string
  /** Epoch seconds; null means open-ended. */
  startsAt: number | null
  endsAt: number | null
  /** Days before the same sender gets the reply again (RFC 3834 §2 suggests 7). */
  periodDays: number
}

export const DEFAULT_VACATION: VacationSettings = {
  enabled: false,
  subject: 'Out of office',
  text: '',
  startsAt: null,
  endsAt: null,
  periodDays: 7,
}

export async function getVacation(db: Db, account: string): Promise<VacationSettings> {
  const row = await db
    .selectFrom('account_settings')
    .select('vacation')
    .where('account', '=', account.toLowerCase())
    .executeTakeFirst()
  return {
    ...DEFAULT_VACATION,
    ...(row?.vacation ? (JSON.parse(row.vacation) as Partial<VacationSettings>) : {}),
  }
}

/** Stores the vacation settings; turning it on again starts a new period for every sender. */
export async function setVacation(db: Db, account: string, v: VacationSettings): Promise<void> {
  const acct = account.toLowerCase()
  const values = { vacation: JSON.stringify(v), updated_at: nowSeconds() }
  await db
    .insertInto('account_settings')
    .values({ account: acct, auto_forward: null, ...values })
    .onConflict((oc) => oc.column('account').doUpdateSet(values))
    .execute()
  if (!v.enabled) await db.deleteFrom('vacation_replies').where('account', '=', acct).execute()
}

/** Whether the vacation reply is on at `now` (inside its optional start/end). */
export function vacationActive(v: VacationSettings, now: number): boolean {
  if (!v.enabled || !v.text.trim()) return false
  if (v.startsAt !== null && now < v.startsAt) return false
  if (v.endsAt !== null && now >= v.endsAt) return false
  return true
}

/**
 * Records that `sender` gets a reply now, unless it already got one within the period: true means
 * "reply". Run inside the delivery's transaction so two copies of one message cannot both reply.
 * @see RFC 3834 §2 (a responder SHOULD NOT reply to the same sender more than once within a period)
 */
export async function claimVacationReply(
  db: Db,
  input: { account: string; sender: string; now: number; periodSeconds: number },
): Promise<boolean> {
  const account = input.account.toLowerCase()
  const sender = input.sender.toLowerCase()
  const last = await db
    .selectFrom('vacation_replies')
    .select('replied_at')
    .where('account', '=', account)
    .where('sender', '=', sender)
    .executeTakeFirst()
  if (last && input.now - last.replied_at < input.periodSeconds) return false
  await db
    .insertInto('vacation_replies')
    .values({ account, sender, replied_at: input.now })
    .onConflict((oc) => oc.columns(['account', 'sender']).doUpdateSet({ replied_at: input.now }))
    .execute()
  return true
}
