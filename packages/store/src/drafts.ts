import type { Db } from './db.ts'
import { ConflictError } from './errors.ts'
import { mailboxByRole } from './mailboxes.ts'
import { derivedColumns, destroyRows, getMessageRow, insertMessage } from './messages.ts'
import type { StoredPlaceholder } from './placeholder-index.ts'
import { addResourceRefs, removeResourceRefs } from './resource-refs.ts'
import { indexBody, indexMessageHeaders, makePreview } from './search.ts'
import { putSmallResources, type SmallResource } from './small-resources.ts'
import { allocateModseq } from './sync.ts'
import { inTransaction, nowSeconds } from './tx.ts'

/**
 * Creates a draft, or replaces draft `id` in place (same id, new modseq): safe for autosave, since the
 * latest save wins and the row id the webmail holds stays valid. Its `text` (none: empty) is indexed and
 * previewed by the same statements.
 */
export async function saveDraft(
  db: Db,
  input: {
    account: string
    id?: string
    placeholder: StoredPlaceholder
    text?: string
    /** Bodies the draft names that are kept in the database, written in the same transaction. */
    small?: SmallResource[]
  },
): Promise<{ id: string }> {
  const account = input.account.toLowerCase()
  const text = input.text ?? ''
  const id = input.id
  return inTransaction(db, async (trx) => {
    await putSmallResources(trx, input.small ?? [], nowSeconds())
    if (!id) {
      return insertMessage(trx, {
        account,
        mailboxRole: 'drafts',
        placeholder: input.placeholder,
        keywords: ['$draft', '$seen'],
        text,
      })
    }
    const row = await getMessageRow(trx, account, id)
    const drafts = await mailboxByRole(trx, account, 'drafts')
    if (row.mailbox_id !== drafts.id || row.sent_at !== null) {
      throw new ConflictError(`message ${id} is no longer a draft (it was sent or moved)`)
    }
    const { ix, columns, addresses } = await derivedColumns(trx, account, input.placeholder)
    const modseq = await allocateModseq(trx, account)
    await trx
      .updateTable('messages')
      .set({ ...columns, received_at: nowSeconds(), preview: makePreview(indexBody(text)), modseq })
      .where('id', '=', id)
      .execute()
    await removeResourceRefs(trx, 'message', id)
    await addResourceRefs(trx, {
      account,
      ownerKind: 'message',
      ownerId: id,
      contentIds: ix.resources.map((r) => r.contentId),
      // The api builds drafts only from what the account may already read (apps/api/src/compose.ts).
      readable: true,
    })
    await indexMessageHeaders(trx, { seq: Number(row.seq), subject: ix.subject, addresses, body: text })
    return { id }
  })
}

/** Deletes a draft for good (drafts skip the Trash). */
export async function deleteDraft(db: Db, account: string, id: string): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await getMessageRow(trx, account, id)
    const drafts = await mailboxByRole(trx, account, 'drafts')
    if (row.mailbox_id !== drafts.id) throw new ConflictError(`message ${id} is not a draft`)
    await destroyRows(trx, account, [row])
  })
}
