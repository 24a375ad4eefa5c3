import type { PlaceholderMessage } from '@federizer/protocol'
import {
  type Db,
  indexMessageText,
  insertMessage,
  inTransaction,
  putSmallResources,
  queueVacationReply,
  type SmallResource,
} from '@federizer/store'
import type { LegacyAuth } from './authenticate.ts'

/**
 * Stores one message received over SMTP for each recipient in ONE transaction (its attachments are
 * already in the store, durably; its small bodies are written by this transaction): the copy goes to the inbox, or to Junk when DMARC failed under a
 * `quarantine` policy (RFC 7489 §6.3). The authentication results are kept with it as `legacy` in
 * place of a chain verification. The vacation reply is queued in the same transaction, as for mail
 * from a Federizer peer (RFC 3834 §2: once per sender per period, never for Junk, lists or bounces).
 * Only after this commit does the listener answer 250.
 */
export async function storeLegacyMessage(
  db: Db,
  m: {
    message: PlaceholderMessage
    text: string
    /** The bodies up to 64 KiB the message names (mime.ts), kept in the database with its copies. */
    small: SmallResource[]
    recipients: string[]
    auth: LegacyAuth
    junk: boolean
    now: number
    /** How long a queued vacation reply may keep trying (the domain's queue lifetime). */
    lifetime: number
  },
): Promise<string[]> {
  return inTransaction(db, async (trx) => {
    await putSmallResources(trx, m.small, m.now)
    const ids: string[] = []
    for (const recipient of m.recipients) {
      const { id } = await insertMessage(trx, {
        account: recipient,
        mailboxRole: m.junk ? 'junk' : 'inbox',
        placeholder: m.message,
        contentState: 'complete',
        receivedAt: m.now,
        chainVerification: { legacy: m.auth },
      })
      await indexMessageText(trx, { id, text: m.text })
      if (!m.junk)
        await queueVacationReply(trx, {
          account: recipient,
          messageRowId: id,
          message: m.message,
          now: m.now,
          lifetime: m.lifetime,
          overSmtp: true,
        })
      ids.push(id)
    }
    return ids
  })
}
