import type { PlaceholderMessage } from '@federizer/protocol'
import { rememberContacts } from './contacts.ts'
import type { Db } from './db.ts'
import { ConflictError, NotFoundError } from './errors.ts'
import { ensureMailboxes, mailboxByRole } from './mailboxes.ts'
import { getMessageRow } from './messages.ts'
import { cancelHeldOutbox, enqueueOutbox } from './outbox.ts'
import type { MessageRow } from './schema-mailbox.ts'
import { storedPlaceholder } from './stored-values.ts'
import { allocateModseq } from './sync.ts'
import { inTransaction } from './tx.ts'

/** A draft about to be sent: its row and Placeholder Message, and the account's Sent mailbox. */
export interface DraftForSend {
  row: MessageRow
  draft: PlaceholderMessage
  sentMailboxId: string
}

/** One recipient domain's delivery of a send (docs/protocol.md §3): its copy and its DPoP key. */
export interface SendDelivery {
  domain: string
  recipients: string[]
  /** The message as delivered to that domain (Bcc removed, assertion pushed). */
  placeholder: PlaceholderMessage
  dpopKey: { privateJwk: unknown; publicJwk: unknown }
}

/**
 * Reads draft `draftId` of `account` for sending, with the account's Sent mailbox, in one statement.
 * NotFoundError for a message that is not the account's; ConflictError for one that is not a draft.
 * `saved` is the placeholder the caller has just saved as this draft, in the same transaction: used as
 * it is instead of parsed again from the row.
 */
export async function draftForSend(
  db: Db,
  account: string,
  draftId: string,
  saved?: PlaceholderMessage,
): Promise<DraftForSend> {
  const read = () =>
    db
      .selectFrom('messages')
      .selectAll('messages')
      .select((eb) => [
        eb
          .selectFrom('mailboxes')
          .select('role')
          .whereRef('mailboxes.id', '=', 'messages.mailbox_id')
          .as('mailbox_role'),
        eb
          .selectFrom('mailboxes')
          .select('id')
          .where('mailboxes.account', '=', account)
          .where('mailboxes.role', '=', 'sent')
          .as('sent_mailbox_id'),
      ])
      .where('messages.id', '=', draftId)
      .executeTakeFirst()
  let found = await read()
  if (!found || found.account !== account) throw new NotFoundError(`message ${draftId} does not exist`)
  if (found.sent_mailbox_id === null) {
    // An account of before the Sent mailbox: made now, as mailboxByRole would.
    await ensureMailboxes(db, account)
    found = (await read()) ?? found
  }
  const { mailbox_role, sent_mailbox_id, ...row } = found
  if (mailbox_role !== 'drafts' || row.sent_at !== null)
    throw new ConflictError(`message ${draftId} is not a draft`)
  if (sent_mailbox_id === null) throw new ConflictError(`the account ${account} has no Sent mailbox`)
  return {
    row,
    draft: saved ?? storedPlaceholder(row.placeholder, `draft ${draftId}`),
    sentMailboxId: sent_mailbox_id,
  }
}

/**
 * The writes of one send, in ONE transaction: the draft moves to Sent as `sealed` (unless it changed since
 * `read`: ConflictError, nothing written), one outbox row per recipient domain held until `holdUntil`,
 * every recipient's delivery status `held`, and the correspondents remembered for compose suggestions.
 */
export async function commitSend(
  db: Db,
  input: {
    account: string
    read: DraftForSend
    sealed: PlaceholderMessage
    deliveries: SendDelivery[]
    contentIds: string[]
    contacts: Array<{ name?: string; address: string }>
    holdUntil: number
    now: number
    lifetimeSeconds: number
  },
): Promise<void> {
  const { account, read, now } = input
  const draftId = read.row.id
  await inTransaction(db, async (trx) => {
    const modseq = await allocateModseq(trx, account)
    // The guard is the check: a concurrent send, edit or delete of the same draft loses here.
    const moved = await trx
      .updateTable('messages')
      .set({
        mailbox_id: read.sentMailboxId,
        placeholder: JSON.stringify(input.sealed),
        keywords: JSON.stringify(['$seen']),
        seen: 1,
        sent_at: now,
        received_at: now,
        draft_backup: read.row.placeholder,
        modseq,
      })
      .where('id', '=', draftId)
      .where('mailbox_id', '=', read.row.mailbox_id)
      .where('modseq', '=', read.row.modseq)
      .where('sent_at', 'is', null)
      .executeTakeFirst()
    if (Number(moved.numUpdatedRows) !== 1)
      throw new ConflictError(`draft ${draftId} changed while it was being sent; review it and send again`)
    for (const d of input.deliveries) {
      await enqueueOutbox(trx, {
        account,
        messageRowId: draftId,
        recipientDomain: d.domain,
        recipients: d.recipients,
        placeholder: d.placeholder,
        dpopKey: d.dpopKey,
        contentIds: input.contentIds,
        holdUntil: input.holdUntil,
        now,
        lifetimeSeconds: input.lifetimeSeconds,
      })
    }
    // The message's modseq above already tells the webmail its delivery states changed.
    const statuses = new Set(input.deliveries.flatMap((d) => d.recipients.map((r) => r.toLowerCase())))
    if (statuses.size > 0)
      await trx
        .insertInto('delivery_status')
        .values(
          [...statuses].map((recipient) => ({
            message_row_id: draftId,
            recipient,
            state: 'held' as const,
            detail: null,
            updated_at: now,
          })),
        )
        .onConflict((oc) =>
          oc
            .columns(['message_row_id', 'recipient'])
            .doUpdateSet((eb) => ({ state: eb.ref('excluded.state'), detail: null, updated_at: now })),
        )
        .execute()
    await rememberContacts(trx, account, input.contacts, now)
  })
}

/**
 * Undo send: cancels every delivery of sent message `messageId` while all are still held in the undo
 * window, and puts the draft it was sent from back in Drafts, in one transaction. ConflictError when the
 * message was not sent from this mailbox or is already with the MTA.
 */
export async function unsendToDraft(db: Db, account: string, messageId: string, now: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await getMessageRow(trx, account, messageId)
    if (row.sent_at === null || row.draft_backup === null)
      throw new ConflictError(`message ${messageId} was not sent from this mailbox`)
    if (!(await cancelHeldOutbox(trx, messageId, now)))
      throw new ConflictError(
        'too late to undo: the message has already been handed to the mail transfer agent',
      )
    const drafts = await mailboxByRole(trx, account, 'drafts')
    const modseq = await allocateModseq(trx, account)
    await trx
      .updateTable('messages')
      .set({
        mailbox_id: drafts.id,
        placeholder: row.draft_backup,
        keywords: JSON.stringify(['$draft', '$seen']),
        sent_at: null,
        draft_backup: null,
        modseq,
      })
      .where('id', '=', messageId)
      .execute()
  })
}
