import type { PlaceholderMessage } from '@federizer/protocol'
import type { Db } from './db.ts'
import { storedPlaceholder } from './stored-values.ts'

/** One destination of a message this domain sent: the copy delivered there and the sender's own copy. */
export interface SentDelivery {
  recipientDomain: string
  /** The placeholder as delivered to `recipientDomain` (its own origin assertion). */
  delivered: PlaceholderMessage
  /** The sender's own copy (with Bcc and the Recipients-Key), parsed on first use. */
  sent(): PlaceholderMessage
}

/**
 * Every live (not cancelled) outbox row of the message with `messageId`, for the origin's fetch ACL.
 * @see docs/protocol.md §6 (Fetch ACL)
 */
export async function sentDeliveriesOf(db: Db, messageId: string): Promise<SentDelivery[]> {
  const rows = await db
    .selectFrom('outbox')
    .innerJoin('messages', 'messages.id', 'outbox.message_row_id')
    .select([
      'outbox.id',
      'outbox.recipient_domain',
      'outbox.placeholder as delivered',
      'messages.id as message_row_id',
      'messages.placeholder as sent',
    ])
    .where('messages.message_id_header', '=', messageId)
    .where('outbox.state', '!=', 'cancelled')
    .execute()
  return rows.map((row) => {
    let sent: PlaceholderMessage | undefined
    return {
      recipientDomain: row.recipient_domain,
      delivered: storedPlaceholder(row.delivered, `the placeholder of outbox row ${row.id}`),
      sent: () => {
        sent ??= storedPlaceholder(row.sent, `the placeholder of message ${row.message_row_id}`)
        return sent
      },
    }
  })
}
