import { sql } from 'kysely'
import type { Db } from './db.ts'
import { InvalidInputError } from './errors.ts'
import { type MessageSummary, SUMMARY_COLUMNS, toSummary } from './message-list.ts'
import type { IndexedAddress } from './placeholder-index.ts'
import type { MessageRow } from './schema-mailbox.ts'

/** One conversation of a mailbox as its list shows it: the thread's messages in that mailbox. */
export interface ThreadSummary {
  threadId: string
  /** Messages of the thread in this mailbox. */
  count: number
  unread: number
  /** Epoch seconds of the newest message. */
  latestAt: number
  /** Distinct senders, oldest first (at most 5). */
  participants: IndexedAddress[]
  /** The thread's messages in this mailbox, oldest first (the newest is the row's snippet). */
  messages: MessageSummary[]
}

function encodeCursor(latestAt: number, threadId: string): string {
  return Buffer.from(JSON.stringify([latestAt, threadId])).toString('base64url')
}

function decodeCursor(cursor: string): { latestAt: number; threadId: string } {
  try {
    const [latestAt, threadId] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[]
    if (typeof latestAt === 'number' && typeof threadId === 'string') return { latestAt, threadId }
  } catch {}
  throw new InvalidInputError('the thread cursor is not one returned by message.threads')
}

/**
 * One page of a mailbox grouped by conversation, newest conversation first (the order of its newest
 * message), with an opaque cursor. Served by the messages_mailbox_thread index (migration 006).
 */
export async function listThreads(
  db: Db,
  input: { account: string; mailboxId: string; cursor?: string; limit: number },
): Promise<{ items: ThreadSummary[]; nextCursor: string | null }> {
  const after = input.cursor ? decodeCursor(input.cursor) : undefined
  const having = after
    ? sql`HAVING MAX(received_at) < ${after.latestAt} OR (MAX(received_at) = ${after.latestAt} AND thread_id < ${after.threadId})`
    : sql``
  const { rows: groups } = await sql<{ thread_id: string; latest_at: number; count: number; unread: number }>`
    SELECT thread_id, MAX(received_at) AS latest_at, COUNT(*) AS count,
      SUM(CASE WHEN seen = 0 THEN 1 ELSE 0 END) AS unread
    FROM messages WHERE account = ${input.account} AND mailbox_id = ${input.mailboxId}
    GROUP BY thread_id ${having}
    ORDER BY latest_at DESC, thread_id DESC LIMIT ${input.limit + 1}`.execute(db)
  const page = groups.slice(0, input.limit)
  if (page.length === 0) return { items: [], nextCursor: null }
  const rows = await db
    .selectFrom('messages')
    .select(SUMMARY_COLUMNS)
    .where('account', '=', input.account)
    .where('mailbox_id', '=', input.mailboxId)
    .where(
      'thread_id',
      'in',
      page.map((g) => g.thread_id),
    )
    .orderBy('received_at')
    .orderBy('id')
    .execute()
  const byThread = new Map<string, MessageSummary[]>()
  for (const r of rows) {
    const list = byThread.get(r.thread_id) ?? []
    list.push(toSummary(r as MessageRow))
    byThread.set(r.thread_id, list)
  }
  const items = page.map((g): ThreadSummary => {
    const messages = byThread.get(g.thread_id) ?? []
    const seen = new Set<string>()
    const participants: IndexedAddress[] = []
    for (const m of messages) {
      const key = m.from.address.toLowerCase()
      if (seen.has(key) || participants.length >= 5) continue
      seen.add(key)
      participants.push(m.from)
    }
    return {
      threadId: g.thread_id,
      count: Number(g.count),
      unread: Number(g.unread),
      latestAt: Number(g.latest_at),
      participants,
      messages,
    }
  })
  const last = page[page.length - 1]
  return {
    items,
    nextCursor:
      groups.length > input.limit && last ? encodeCursor(Number(last.latest_at), last.thread_id) : null,
  }
}

/** Ids of every message in one of the account's mailboxes ("select all N in this folder"), newest first. */
export async function mailboxMessageIds(
  db: Db,
  account: string,
  mailboxId: string,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('messages')
    .select('id')
    .where('mailbox_id', '=', mailboxId)
    .where('account', '=', account)
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
  return rows.map((r) => r.id)
}
