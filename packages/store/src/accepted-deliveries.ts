import type { Db } from './db.ts'

/** A message this domain accepted for a local user, as the AS checks a fetch, reply or forward against it. */
export interface AcceptedDelivery {
  recipient: string
  /** The stored message's From: the original sender, whose domain is the fetch audience. */
  originalFrom: string
  /** Epoch seconds the delivery was accepted (a fetch is allowed for the queue lifetime after that). */
  receivedAt: number
}

/**
 * Finds a delivery accepted for an enabled local user (`inbound_deliveries`) whose Message-ID header is one
 * of `messageIds` and whose assertion digest is one of `assertionDigests` (the caller passes each value
 * with and without its angle brackets), optionally for one recipient.
 * @see docs/protocol.md §4 (token endpoint, fetch and forward modes)
 */
export async function findAcceptedDelivery(
  db: Db,
  input: { messageIds: string[]; assertionDigests: string[]; recipient?: string },
): Promise<AcceptedDelivery | undefined> {
  let query = db
    .selectFrom('inbound_deliveries')
    .innerJoin('users', 'users.account', 'inbound_deliveries.recipient')
    .innerJoin('messages', 'messages.id', 'inbound_deliveries.message_row_id')
    .select(['inbound_deliveries.recipient', 'messages.from_address', 'inbound_deliveries.received_at'])
    .where('inbound_deliveries.message_id_header', 'in', input.messageIds)
    .where('inbound_deliveries.assertion_digest', 'in', input.assertionDigests)
    .where('users.disabled', '=', 0)
  if (input.recipient !== undefined) query = query.where('inbound_deliveries.recipient', '=', input.recipient)
  const row = await query.executeTakeFirst()
  return row
    ? { recipient: row.recipient, originalFrom: row.from_address, receivedAt: Number(row.received_at) }
    : undefined
}
