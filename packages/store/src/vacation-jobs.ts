import { randomUUID } from 'node:crypto'
import type { Db } from './db.ts'
import { indexPlaceholder, type StoredPlaceholder } from './placeholder-index.ts'
import { claimVacationReply, getVacation, vacationActive } from './vacation.ts'

// The vacation auto-reply's decisions and queue (RFC 3834). Delivery calls queueVacationReply inside its
// transaction; the MTA's vacation runner sends each queued reply through the normal send path.

const header = (h: StoredPlaceholder['envelope'][number] | undefined, name: string): string | undefined => {
  if (!h || !('headers' in h)) return undefined
  const found = h.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1]
  return typeof found === 'string' ? found : found?.[0]
}

/** Senders that are systems, not people: bounces, notices, list robots (RFC 3834 §2). */
const SYSTEM_SENDER =
  /^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|listserv|majordomo)([+-].*)?@|^owner-|-(request|owner|bounces?)@/i

/**
 * The address the vacation reply to `message` goes to, lower-cased (it also keys "once per sender per
 * period"). Mail that came over SMTP is answered at its Return-Path, the envelope sender the listener
 * recorded (RFC 3834 §4; RFC 5321 §4.4), which is where a list or a forwarding service wants responses
 * to go; its From only when the path names no address. Mail from a Federizer peer has no envelope sender
 * apart from its signed From, and a Return-Path line a peer wrote into its headers is not trusted to
 * redirect the reply.
 */
export function autoReplyAddress(message: StoredPlaceholder, overSmtp: boolean): string | undefined {
  const from = indexPlaceholder(message).from?.address.toLowerCase()
  if (!overSmtp) return from
  const path = header(message.envelope.at(-1), 'Return-Path')?.replace(/\s/g, '') ?? ''
  return /^<([^<>@]+@[^<>@]+)>$/.exec(path)?.[1]?.toLowerCase() ?? from
}

/**
 * Why `account` must not auto-reply to `message`, or null when it may (RFC 3834 §2, RFC 5230 §4.5):
 * never to itself, to a system sender, to a bounce (an empty Return-Path), to automatic mail (Auto-Submitted other than "no"), to list or
 * bulk mail (List-Id, Precedence), to mail that reached it through an auto-forward (a reply would cross
 * the forward loop), or to mail that does not name it in To or Cc. `overSmtp`: the message came over the
 * SMTP bridge, so the reply would go to its Return-Path (autoReplyAddress), which is checked as the From is.
 */
export function autoReplyRefusal(
  message: StoredPlaceholder,
  account: string,
  overSmtp = false,
): string | null {
  const me = account.toLowerCase()
  const original = message.envelope.at(-1)
  if (!original) return 'the message has no headers'
  const ix = indexPlaceholder(message)
  const from = ix.from?.address.toLowerCase()
  if (!from) return 'the message has no sender'
  const to = autoReplyAddress(message, overSmtp) ?? from
  if (from === me || to === me) return 'it is from this account'
  if (SYSTEM_SENDER.test(from) || SYSTEM_SENDER.test(to)) return 'it comes from a mail system, not a person'
  if (header(original, 'Return-Path')?.replace(/\s/g, '') === '<>')
    return 'it is a bounce or notice (empty return path, RFC 5321 §4.5.5)'
  const auto = header(original, 'Auto-Submitted')?.trim().toLowerCase()
  if (auto && !auto.startsWith('no')) return 'it was sent automatically (Auto-Submitted)'
  if (/^(bulk|list|junk)$/i.test(header(original, 'Precedence')?.trim() ?? ''))
    return 'it is bulk or list mail (Precedence)'
  for (const name of ['List-Id', 'List-Unsubscribe', 'List-Post'])
    if (header(original, name) !== undefined) return `it is list mail (${name})`
  if (message.envelope.some((b) => header(b, 'Forwarded-From') !== undefined))
    return 'it reached this mailbox through an auto-forward'
  if (![...ix.to, ...ix.cc].some((a) => a.address.toLowerCase() === me))
    return 'this account is not named in To or Cc'
  return null
}

/**
 * Queues the vacation reply for a message just delivered to `account`, when the reply is on, the message
 * may be answered (autoReplyRefusal) and its sender has not had one this period; records the sender.
 * Runs in the delivery's transaction. Returns whether a reply was queued.
 * @see RFC 3834 §2 (once per sender per period)
 */
export async function queueVacationReply(
  db: Db,
  input: {
    account: string
    messageRowId: string
    message: StoredPlaceholder
    now: number
    lifetime: number
    /** The message came over the SMTP bridge: the reply goes to its Return-Path (autoReplyAddress). */
    overSmtp?: boolean
  },
): Promise<boolean> {
  const account = input.account.toLowerCase()
  const overSmtp = input.overSmtp ?? false
  const vacation = await getVacation(db, account)
  if (!vacationActive(vacation, input.now)) return false
  if (autoReplyRefusal(input.message, account, overSmtp) !== null) return false
  const sender = autoReplyAddress(input.message, overSmtp) as string
  const periodSeconds = vacation.periodDays * 86_400
  if (!(await claimVacationReply(db, { account, sender, now: input.now, periodSeconds }))) return false
  await db
    .insertInto('vacation_jobs')
    .values({
      id: `vj_${randomUUID()}`,
      account,
      message_row_id: input.messageRowId,
      state: 'queued',
      attempts: 0,
      next_attempt_at: input.now,
      lease_until: null,
      expires_at: input.now + input.lifetime,
      last_error: null,
      created_at: input.now,
      updated_at: input.now,
    })
    .execute()
  return true
}

export type VacationJob = Awaited<ReturnType<typeof vacationJobsByIds>>[number]

/** The claimed vacation jobs (the MTA claims by lease, then reads them). */
export async function vacationJobsByIds(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return []
  return db.selectFrom('vacation_jobs').selectAll().where('id', 'in', ids).execute()
}
