import type { Db } from '@federizer/store'

/**
 * Finds a message this mailbox accepted (federation's `inbound_deliveries`) with the given Message-ID and
 * delivered with the assertion whose digest is given, for an enabled local user; returns the original
 * sender's address (the stored message's From) so the fetch audience can be checked, and when it was
 * accepted (a fetch is allowed for the queue lifetime after that).
 */
export async function findDeliveredMessage(
  db: Db,
  input: { messageId: string; assertionDigest: string; recipient?: string },
): Promise<{ recipient: string; originalFrom: string; receivedAt: number } | undefined> {
  let query = db
    .selectFrom('inbound_deliveries')
    .innerJoin('users', 'users.account', 'inbound_deliveries.recipient')
    .innerJoin('messages', 'messages.id', 'inbound_deliveries.message_row_id')
    .select(['inbound_deliveries.recipient', 'messages.from_address', 'inbound_deliveries.received_at'])
    .where('inbound_deliveries.message_id_header', 'in', bracketForms(input.messageId))
    .where('inbound_deliveries.assertion_digest', 'in', bracketForms(input.assertionDigest))
    .where('users.disabled', '=', 0)
  if (input.recipient !== undefined) query = query.where('inbound_deliveries.recipient', '=', input.recipient)
  const row = await query.executeTakeFirst()
  return row
    ? { recipient: row.recipient, originalFrom: row.from_address, receivedAt: Number(row.received_at) }
    : undefined
}

/** A value with and without its angle brackets: header values carry them, bare ids do not. */
function bracketForms(value: string): string[] {
  const bare = value.replace(/^<(.*)>$/, '$1')
  return [bare, `<${bare}>`]
}
