import { sql } from 'kysely'
import { rememberContacts } from './contacts.ts'
import type { Db } from './db.ts'
import { dialectOf } from './dialect.ts'
import { InvalidInputError, NotFoundError } from './errors.ts'
import { newId } from './ids.ts'
import { getMailbox, mailboxByRole } from './mailboxes.ts'
import { indexPlaceholder, type StoredPlaceholder } from './placeholder-index.ts'
import { addResourceRefs, removeResourceRefs } from './resource-refs.ts'
import type { ContentState, MailboxRole, MessageRow } from './schema-mailbox.ts'
import { indexBody, indexMessageHeaders, makePreview, removeFromIndex } from './search.ts'
import { storedStrings } from './stored-values.ts'
import { addTombstone, allocateModseq } from './sync.ts'
import { inTransaction, nowSeconds } from './tx.ts'

export interface InsertMessageInput {
  /** The lower-cased address of the mailbox owner. */
  account: string
  mailboxRole: MailboxRole
  placeholder: StoredPlaceholder
  keywords?: string[]
  contentState?: ContentState
  /**
   * Whether the account may read the resources this copy names (default: when its content is complete).
   * A received copy whose content is still arriving grants nothing until its own fetch completes.
   */
  resourcesReadable?: boolean
  /** Epoch seconds (default now). */
  receivedAt?: number
  /** What the receiving gateway found when it verified the envelope chain (shown to the reader). */
  chainVerification?: unknown
  /**
   * The message's text when it is known at insert (a draft, a pushed body): indexed and previewed by the
   * insert's own statements, as `indexMessageText` would afterwards.
   */
  text?: string
}

const KEYWORD = /^\$?[A-Za-z0-9_-]{1,64}$/

export function checkKeywords(keywords: string[]): string[] {
  for (const k of keywords) {
    if (!KEYWORD.test(k))
      throw new InvalidInputError(`"${k}" is not a keyword ($seen, $flagged, or 1-64 letters)`)
  }
  return [...new Set(keywords)].sort()
}

/** Thread id: X-Thread-ID, else the thread of the message it replies to or references, else its Message-ID. */
async function resolveThread(
  db: Db,
  account: string,
  ix: ReturnType<typeof indexPlaceholder>,
): Promise<string> {
  if (ix.threadId) return ix.threadId
  const related = [...(ix.inReplyTo ? [ix.inReplyTo] : []), ...ix.references.slice().reverse()]
  if (related.length) {
    const parent = await db
      .selectFrom('messages')
      .select('thread_id')
      .where('account', '=', account)
      .where('message_id_header', 'in', related)
      .limit(1)
      .executeTakeFirst()
    if (parent) return parent.thread_id
  }
  return ix.messageId || newId('t')
}

/** The derived columns of a placeholder (shared by insert and draft replacement). */
export async function derivedColumns(db: Db, account: string, placeholder: StoredPlaceholder) {
  const ix = indexPlaceholder(placeholder)
  const json = JSON.stringify(placeholder)
  const recipients = [...ix.to, ...ix.cc, ...ix.bcc]
  return {
    ix,
    columns: {
      placeholder: json,
      thread_id: await resolveThread(db, account, ix),
      message_id_header: ix.messageId,
      in_reply_to: ix.inReplyTo ?? null,
      subject: ix.subject,
      from_address: ix.from?.address ?? '',
      from_name: ix.from?.name ?? null,
      recipients: JSON.stringify(recipients),
      has_attachments: ix.resources.some((r) => r.disposition === 'attachment') ? 1 : 0,
      size: json.length + ix.resources.reduce((n, r) => n + r.size, 0),
      sent_at: ix.date ?? null,
    },
    addresses: [ix.from, ...recipients]
      .filter((a) => a !== undefined)
      .map((a) => `${a.name ?? ''} ${a.address}`)
      .join(' '),
  }
}

/**
 * The next message `seq` (insertion order, the full-text index's row key). PostgreSQL takes it from a
 * sequence (migration 013): reading max(seq) would make every two concurrent deliveries of the domain a
 * serialization conflict. SQLite has one writer at a time, so max + 1 is safe there.
 */
async function nextMessageSeq(trx: Db): Promise<number> {
  if (dialectOf(trx) === 'postgres') {
    const { rows } = await sql<{ seq: number }>`SELECT nextval('message_seq') AS seq`.execute(trx)
    return Number(rows[0]?.seq)
  }
  const row = await trx
    .selectFrom('messages')
    .select((eb) => eb.fn.max('seq').as('max'))
    .executeTakeFirst()
  return Number(row?.max ?? 0) + 1
}

/**
 * Stores one copy of a message in one of the account's role mailboxes: derives list columns, records the
 * resources it references, indexes subject and addresses, and takes the next modseq.
 */
export async function insertMessage(db: Db, input: InsertMessageInput): Promise<{ id: string }> {
  const account = input.account.toLowerCase()
  return inTransaction(db, async (trx) => {
    // One lookup: a missing role mailbox makes the account's six (mailboxByRole); they are never removed.
    const box = await mailboxByRole(trx, account, input.mailboxRole)
    const { ix, columns, addresses } = await derivedColumns(trx, account, input.placeholder)
    const keywords = checkKeywords(input.keywords ?? [])
    const modseq = await allocateModseq(trx, account)
    const seq = await nextMessageSeq(trx)
    const id = newId('m')
    const receivedAt = input.receivedAt ?? nowSeconds()
    await trx
      .insertInto('messages')
      .values({
        id,
        account,
        mailbox_id: box.id,
        previous_mailbox_id: null,
        ...columns,
        keywords: JSON.stringify(keywords),
        seen: keywords.includes('$seen') ? 1 : 0,
        preview: input.text === undefined ? '' : makePreview(indexBody(input.text)),
        received_at: receivedAt,
        content_state: input.contentState ?? 'complete',
        content_reason: null,
        chain_verification:
          input.chainVerification === undefined ? null : JSON.stringify(input.chainVerification),
        draft_backup: null,
        seq,
        created_modseq: modseq,
        modseq,
      })
      .execute()
    await addResourceRefs(trx, {
      account,
      ownerKind: 'message',
      ownerId: id,
      contentIds: ix.resources.map((r) => r.contentId),
      readable: input.resourcesReadable ?? (input.contentState ?? 'complete') === 'complete',
    })
    await indexMessageHeaders(trx, {
      seq,
      subject: ix.subject,
      addresses,
      ...(input.text === undefined ? {} : { body: input.text }),
    })
    if (input.mailboxRole === 'inbox' && ix.from) await rememberContacts(trx, account, [ix.from], receivedAt)
    return { id }
  })
}

/** Records whether a message's resources have all arrived (fetcher progress). */
export async function setContentState(
  db: Db,
  input: { id: string; contentState: ContentState; reason?: string },
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom('messages')
      .select(['account'])
      .where('id', '=', input.id)
      .executeTakeFirst()
    if (!row) throw new NotFoundError(`message ${input.id} does not exist`)
    const modseq = await allocateModseq(trx, row.account)
    await trx
      .updateTable('messages')
      .set({ content_state: input.contentState, content_reason: input.reason ?? null, modseq })
      .where('id', '=', input.id)
      .execute()
  })
}

/** Rows of the account among `ids` (others' and unknown ids are silently absent). */
export async function getMessageRows(db: Db, account: string, ids: string[]): Promise<MessageRow[]> {
  if (ids.length === 0) return []
  // By primary key only, then the account check: with `account = ?` in the WHERE the planner (without
  // statistics) prefers the account index and scans the whole mailbox for a batch of ids.
  const rows = await db.selectFrom('messages').selectAll().where('id', 'in', ids).execute()
  return rows.filter((r) => r.account === account)
}

export async function getMessageRow(db: Db, account: string, id: string): Promise<MessageRow> {
  const [row] = await getMessageRows(db, account, [id])
  if (!row) throw new NotFoundError(`message ${id} does not exist`)
  return row
}

async function requireAll(db: Db, account: string, ids: string[]): Promise<MessageRow[]> {
  const unique = [...new Set(ids)]
  const rows = await getMessageRows(db, account, unique)
  if (rows.length !== unique.length) {
    const found = new Set(rows.map((r) => r.id))
    throw new NotFoundError(`message ${unique.find((id) => !found.has(id))} does not exist`)
  }
  return rows
}

/**
 * Adds and removes keywords on the account's messages ($seen, $flagged, $answered, $forwarded, …),
 * RFC 8621 §4.1.1. Answers the ids whose keywords really changed (a message already read is not among
 * them when `$seen` is added), so an undo can restore exactly those.
 */
export async function setKeywords(
  db: Db,
  account: string,
  input: { ids: string[]; add?: string[]; remove?: string[] },
): Promise<string[]> {
  const add = checkKeywords(input.add ?? [])
  const remove = new Set(checkKeywords(input.remove ?? []))
  return inTransaction(db, async (trx) => {
    const rows = await requireAll(trx, account, input.ids)
    const changed = rows
      .map((r) => {
        const before = storedStrings(r.keywords, `the keywords of message ${r.id}`)
        const after = [...new Set([...before.filter((k) => !remove.has(k)), ...add])].sort()
        return { r, after, same: after.join(' ') === [...before].sort().join(' ') }
      })
      .filter((c) => !c.same)
    if (changed.length === 0) return []
    const first = await allocateModseq(trx, account, changed.length)
    for (const [i, c] of changed.entries()) {
      await trx
        .updateTable('messages')
        .set({
          keywords: JSON.stringify(c.after),
          seen: c.after.includes('$seen') ? 1 : 0,
          modseq: first + i,
        })
        .where('id', '=', c.r.id)
        .execute()
    }
    return changed.map((c) => c.r.id)
  })
}

/** Moves the account's messages to one of its mailboxes; moving to Trash remembers where they were. */
export async function moveMessages(
  db: Db,
  account: string,
  input: { ids: string[]; mailboxId: string },
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const target = await getMailbox(trx, account, input.mailboxId)
    const rows = (await requireAll(trx, account, input.ids)).filter((r) => r.mailbox_id !== target.id)
    if (rows.length === 0) return
    const first = await allocateModseq(trx, account, rows.length)
    for (const [i, r] of rows.entries()) {
      await trx
        .updateTable('messages')
        .set({
          mailbox_id: target.id,
          previous_mailbox_id: target.role === 'trash' ? r.mailbox_id : null,
          modseq: first + i,
        })
        .where('id', '=', r.id)
        .execute()
    }
  })
}

/** Moves messages out of Trash back to where they were (or the Inbox when that folder is gone). */
export async function restoreMessages(db: Db, account: string, ids: string[]): Promise<void> {
  await inTransaction(db, async (trx) => {
    const inbox = await mailboxByRole(trx, account, 'inbox')
    const rows = await requireAll(trx, account, ids)
    const first = await allocateModseq(trx, account, rows.length)
    for (const [i, r] of rows.entries()) {
      let target = r.previous_mailbox_id ?? inbox.id
      const exists = await trx
        .selectFrom('mailboxes')
        .select('id')
        .where('id', '=', target)
        .executeTakeFirst()
      if (!exists) target = inbox.id
      await trx
        .updateTable('messages')
        .set({ mailbox_id: target, previous_mailbox_id: null, modseq: first + i })
        .where('id', '=', r.id)
        .execute()
    }
  })
}

/**
 * Deletes as a mail user expects: messages outside Trash move to Trash; messages already in Trash are
 * destroyed for good (row, references, index entry; a tombstone is left for sync).
 */
export async function deleteMessages(
  db: Db,
  account: string,
  ids: string[],
): Promise<{ trashed: string[]; destroyed: string[] }> {
  return inTransaction(db, async (trx) => {
    const trash = await mailboxByRole(trx, account, 'trash')
    const rows = await requireAll(trx, account, ids)
    const toTrash = rows.filter((r) => r.mailbox_id !== trash.id).map((r) => r.id)
    const toDestroy = rows.filter((r) => r.mailbox_id === trash.id)
    if (toTrash.length) await moveMessages(trx, account, { ids: toTrash, mailboxId: trash.id })
    await destroyRows(trx, account, toDestroy)
    return { trashed: toTrash, destroyed: toDestroy.map((r) => r.id) }
  })
}

/** Permanently removes rows (no Trash step). */
export async function destroyRows(db: Db, account: string, rows: MessageRow[]): Promise<void> {
  if (rows.length === 0) return
  const first = await allocateModseq(db, account, rows.length)
  for (const [i, r] of rows.entries()) {
    await removeFromIndex(db, Number(r.seq))
    await removeResourceRefs(db, 'message', r.id)
    await db.deleteFrom('delivery_status').where('message_row_id', '=', r.id).execute()
    await db.deleteFrom('messages').where('id', '=', r.id).execute()
    await addTombstone(db, {
      account,
      entity: 'message',
      entityId: r.id,
      createdModseq: Number(r.created_modseq),
      modseq: first + i,
    })
  }
}
