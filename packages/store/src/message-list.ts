import type { Db } from './db.ts'
import { InvalidInputError } from './errors.ts'
import type { IndexedAddress } from './placeholder-index.ts'
import type { ContentState, MessageRow } from './schema-mailbox.ts'
import { searchMessageIds } from './search.ts'
import { isEmptyQuery, parseSearchQuery } from './search-query.ts'

/** What a message list shows, without the placeholder. */
export interface MessageSummary {
  id: string
  mailboxId: string
  threadId: string
  messageIdHeader: string
  subject: string
  from: IndexedAddress
  recipients: IndexedAddress[]
  preview: string
  keywords: string[]
  hasAttachments: boolean
  size: number
  sentAt: number | null
  receivedAt: number
  contentState: ContentState
}

export function toSummary(r: MessageRow): MessageSummary {
  return {
    id: r.id,
    mailboxId: r.mailbox_id,
    threadId: r.thread_id,
    messageIdHeader: r.message_id_header,
    subject: r.subject,
    from: r.from_name ? { name: r.from_name, address: r.from_address } : { address: r.from_address },
    recipients: JSON.parse(r.recipients) as IndexedAddress[],
    preview: r.preview,
    keywords: JSON.parse(r.keywords) as string[],
    hasAttachments: r.has_attachments === 1,
    size: Number(r.size),
    sentAt: r.sent_at === null ? null : Number(r.sent_at),
    receivedAt: Number(r.received_at),
    contentState: r.content_state,
  }
}

export const SUMMARY_COLUMNS = [
  'id',
  'account',
  'mailbox_id',
  'thread_id',
  'message_id_header',
  'subject',
  'from_address',
  'from_name',
  'recipients',
  'preview',
  'keywords',
  'has_attachments',
  'size',
  'sent_at',
  'received_at',
  'content_state',
] as const

function encodeCursor(r: { received_at: number; id: string }): string {
  return Buffer.from(`${Number(r.received_at)}:${r.id}`).toString('base64url')
}

function decodeCursor(cursor: string): { receivedAt: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString()
  const m = /^(\d{1,15}):([A-Za-z0-9_-]{1,64})$/.exec(text)
  if (!m) throw new InvalidInputError('the list cursor is not one returned by message.list')
  return { receivedAt: Number(m[1]), id: m[2] ?? '' }
}

/** One page of a mailbox, newest first, with an opaque cursor for the next page. */
export async function listMessages(
  db: Db,
  input: { account: string; mailboxId: string; cursor?: string; limit: number },
): Promise<{ items: MessageSummary[]; nextCursor: string | null }> {
  let q = db
    .selectFrom('messages')
    .select(SUMMARY_COLUMNS)
    .where('mailbox_id', '=', input.mailboxId)
    .where('account', '=', input.account)
  if (input.cursor) {
    const c = decodeCursor(input.cursor)
    q = q.where((eb) =>
      eb.or([
        eb('received_at', '<', c.receivedAt),
        eb.and([eb('received_at', '=', c.receivedAt), eb('id', '<', c.id)]),
      ]),
    )
  }
  const rows = await q
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(input.limit + 1)
    .execute()
  const page = rows.slice(0, input.limit)
  const last = page[page.length - 1]
  return {
    items: page.map((r) => toSummary(r as MessageRow)),
    nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null,
  }
}

/** Every message of a thread in the account, oldest first. */
export async function threadMessages(db: Db, account: string, threadId: string): Promise<MessageSummary[]> {
  const rows = await db
    .selectFrom('messages')
    .select(SUMMARY_COLUMNS)
    .where('account', '=', account)
    .where('thread_id', '=', threadId)
    .orderBy('received_at')
    .orderBy('id')
    .limit(500)
    .execute()
  return rows.map((r) => toSummary(r as MessageRow))
}

/** The account's folders a `in:` operator names: by name or role, case-insensitively. */
async function foldersNamed(db: Db, account: string, folder: string): Promise<string[]> {
  const wanted = folder.toLowerCase()
  const boxes = await db
    .selectFrom('mailboxes')
    .select(['id', 'name', 'role'])
    .where('account', '=', account)
    .execute()
  const hits = boxes.filter((b) => b.name.toLowerCase() === wanted || b.role === wanted)
  if (hits.length === 0) {
    throw new InvalidInputError(
      `there is no folder named "${folder}" (in: takes a folder name, e.g. in:inbox)`,
    )
  }
  return hits.map((b) => b.id)
}

/**
 * Search within the account (optionally one mailbox) with the operators of search-query.ts, newest
 * first. A query of nothing but operators it cannot understand is refused, saying which.
 */
export async function searchMessages(
  db: Db,
  input: { account: string; query: string; mailboxId?: string; limit: number },
): Promise<MessageSummary[]> {
  const query = parseSearchQuery(input.query)
  if (isEmptyQuery(query)) {
    if (query.unknown.length === 0) return []
    throw new InvalidInputError(
      `"${query.unknown[0]}" is not a search operator this mailbox knows (from:, to:, subject:, has:attachment, is:unread, is:starred, in:, before:, after:)`,
    )
  }
  const mailboxIds = query.folder
    ? await foldersNamed(db, input.account, query.folder)
    : input.mailboxId
      ? [input.mailboxId]
      : undefined
  const ids = await searchMessageIds(db, {
    account: input.account,
    query,
    limit: input.limit,
    ...(mailboxIds ? { mailboxIds } : {}),
  })
  if (ids.length === 0) return []
  const rows = await db.selectFrom('messages').select(SUMMARY_COLUMNS).where('id', 'in', ids).execute()
  const byId = new Map(rows.map((r) => [r.id, r]))
  return ids.flatMap((id) => {
    const r = byId.get(id)
    return r ? [toSummary(r as MessageRow)] : []
  })
}
