import type { Db } from './db.ts'
import { ConflictError, InvalidInputError, NotFoundError } from './errors.ts'
import { newId } from './ids.ts'
import { MAILBOX_ROLES, type MailboxRole, type MailboxRow } from './schema-mailbox.ts'
import { addTombstone, allocateModseq } from './sync.ts'
import { inTransaction, nowSeconds } from './tx.ts'

const ROLE_NAMES: Record<MailboxRole, string> = {
  inbox: 'Inbox',
  drafts: 'Drafts',
  sent: 'Sent',
  trash: 'Trash',
  archive: 'Archive',
  junk: 'Junk',
}

export interface MailboxSummary {
  id: string
  name: string
  role: MailboxRole | null
  /** The folder this one is nested in, or null. */
  parentId: string | null
  sortOrder: number
  total: number
  unread: number
}

/** Creates the six role mailboxes of an account if they are missing (idempotent). */
export async function ensureMailboxes(db: Db, account: string): Promise<void> {
  const existing = await db.selectFrom('mailboxes').select('role').where('account', '=', account).execute()
  const have = new Set(existing.map((r) => r.role))
  const missing = MAILBOX_ROLES.filter((r) => !have.has(r))
  if (missing.length === 0) return
  await inTransaction(db, async (trx) => {
    const first = await allocateModseq(trx, account, missing.length)
    await trx
      .insertInto('mailboxes')
      .values(
        missing.map((role, i) => ({
          id: newId('mb'),
          account,
          name: ROLE_NAMES[role],
          role,
          parent_id: null,
          sort_order: MAILBOX_ROLES.indexOf(role),
          created_modseq: first + i,
          modseq: first + i,
          created_at: nowSeconds(),
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .execute()
  })
}

export async function mailboxByRole(db: Db, account: string, role: MailboxRole): Promise<MailboxRow> {
  let row = await db
    .selectFrom('mailboxes')
    .selectAll()
    .where('account', '=', account)
    .where('role', '=', role)
    .executeTakeFirst()
  if (!row) {
    await ensureMailboxes(db, account)
    row = await db
      .selectFrom('mailboxes')
      .selectAll()
      .where('account', '=', account)
      .where('role', '=', role)
      .executeTakeFirstOrThrow()
  }
  return row
}

/** The account's mailbox, or NotFoundError (also for another account's mailbox: no existence oracle). */
export async function getMailbox(db: Db, account: string, id: string): Promise<MailboxRow> {
  const row = await db
    .selectFrom('mailboxes')
    .selectAll()
    .where('account', '=', account)
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) throw new NotFoundError(`mailbox ${id} does not exist`)
  return row
}

/** Every mailbox of the account with message and unread counts, roles first. */
export async function listMailboxes(db: Db, account: string): Promise<MailboxSummary[]> {
  await ensureMailboxes(db, account)
  const boxes = await db
    .selectFrom('mailboxes')
    .selectAll()
    .where('account', '=', account)
    .orderBy('sort_order')
    .orderBy('name')
    .execute()
  const counts = await db
    .selectFrom('messages')
    .select((eb) => [
      'mailbox_id',
      eb.fn.countAll<number>().as('total'),
      eb.fn.sum<number>(eb.case().when('seen', '=', 0).then(1).else(0).end()).as('unread'),
    ])
    .where('account', '=', account)
    .groupBy('mailbox_id')
    .execute()
  const byId = new Map(counts.map((c) => [c.mailbox_id, c]))
  return boxes.map((b) => ({
    id: b.id,
    name: b.name,
    role: b.role,
    parentId: b.parent_id,
    sortOrder: b.sort_order,
    total: Number(byId.get(b.id)?.total ?? 0),
    unread: Number(byId.get(b.id)?.unread ?? 0),
  }))
}

function checkName(name: string): string {
  const trimmed = name.trim()
  if (trimmed.length === 0 || trimmed.length > 100) {
    throw new InvalidInputError('a mailbox name must have 1 to 100 characters')
  }
  return trimmed
}

async function assertNameFree(db: Db, account: string, name: string): Promise<void> {
  const taken = await db
    .selectFrom('mailboxes')
    .select('id')
    .where('account', '=', account)
    .where('name', '=', name)
    .executeTakeFirst()
  if (taken) throw new ConflictError(`a mailbox named "${name}" already exists`)
}

/** How deep folders may nest (a path of at most this many folders). */
export const MAX_FOLDER_DEPTH = 5

/**
 * Checks that `parentId` may hold folder `id` (undefined for a new folder): a user folder of the account,
 * not the folder itself or one inside it, and not too deep.
 */
async function checkParent(db: Db, account: string, parentId: string, id?: string): Promise<void> {
  let depth = 1
  let cursor: string | null = parentId
  while (cursor) {
    const box = await getMailbox(db, account, cursor)
    if (box.role)
      throw new InvalidInputError(`folders cannot be put inside ${box.name}; pick a folder of yours`)
    if (box.id === id)
      throw new InvalidInputError('a folder cannot be put inside itself or one of its subfolders')
    if (++depth > MAX_FOLDER_DEPTH) {
      throw new InvalidInputError(`folders nest at most ${MAX_FOLDER_DEPTH} deep`)
    }
    cursor = box.parent_id
  }
}

/** Creates a user folder (role null), at the top level or inside `parentId`. */
export async function createMailbox(
  db: Db,
  account: string,
  name: string,
  parentId: string | null = null,
): Promise<{ id: string }> {
  const clean = checkName(name)
  return inTransaction(db, async (trx) => {
    await ensureMailboxes(trx, account)
    if (parentId) await checkParent(trx, account, parentId)
    await assertNameFree(trx, account, clean)
    const modseq = await allocateModseq(trx, account)
    const id = newId('mb')
    await trx
      .insertInto('mailboxes')
      .values({
        id,
        account,
        name: clean,
        role: null,
        parent_id: parentId,
        sort_order: 100,
        created_modseq: modseq,
        modseq,
        created_at: nowSeconds(),
      })
      .execute()
    return { id }
  })
}

/** Renames a user folder; role mailboxes keep their names. */
export async function renameMailbox(db: Db, account: string, id: string, name: string): Promise<void> {
  const clean = checkName(name)
  await inTransaction(db, async (trx) => {
    const box = await getMailbox(trx, account, id)
    if (box.role) throw new ConflictError(`the ${box.role} mailbox cannot be renamed`)
    if (box.name === clean) return
    await assertNameFree(trx, account, clean)
    const modseq = await allocateModseq(trx, account)
    await trx.updateTable('mailboxes').set({ name: clean, modseq }).where('id', '=', id).execute()
  })
}

/** Moves a user folder to the top level (null) or inside another of the account's folders. */
export async function moveMailbox(
  db: Db,
  account: string,
  id: string,
  parentId: string | null,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const box = await getMailbox(trx, account, id)
    if (box.role) throw new ConflictError(`the ${box.role} mailbox cannot be moved`)
    if (box.parent_id === parentId) return
    if (parentId) await checkParent(trx, account, parentId, id)
    const modseq = await allocateModseq(trx, account)
    await trx.updateTable('mailboxes').set({ parent_id: parentId, modseq }).where('id', '=', id).execute()
  })
}

/** Removes an empty user folder without subfolders. */
export async function removeMailbox(db: Db, account: string, id: string): Promise<void> {
  await inTransaction(db, async (trx) => {
    const box = await getMailbox(trx, account, id)
    if (box.role) throw new ConflictError(`the ${box.role} mailbox cannot be removed`)
    const any = await trx
      .selectFrom('messages')
      .select('id')
      .where('mailbox_id', '=', id)
      .limit(1)
      .executeTakeFirst()
    if (any) throw new ConflictError(`mailbox "${box.name}" is not empty: move or delete its messages first`)
    const child = await trx
      .selectFrom('mailboxes')
      .select('name')
      .where('account', '=', account)
      .where('parent_id', '=', id)
      .executeTakeFirst()
    if (child) {
      throw new ConflictError(
        `folder "${box.name}" holds the folder "${child.name}": move or delete it first`,
      )
    }
    const modseq = await allocateModseq(trx, account)
    await trx.deleteFrom('mailboxes').where('id', '=', id).execute()
    await addTombstone(trx, {
      account,
      entity: 'mailbox',
      entityId: id,
      createdModseq: Number(box.created_modseq),
      modseq,
    })
  })
}
