import { type AcceptedDelivery, type Db, findAcceptedDelivery } from '@federizer/store'

/**
 * Finds a message this mailbox accepted (federation's `inbound_deliveries`) with the given Message-ID and
 * delivered with the assertion whose digest is given, for an enabled local user; returns the original
 * sender's address (the stored message's From) so the fetch audience can be checked, and when it was
 * accepted (a fetch is allowed for the queue lifetime after that).
 */
export function findDeliveredMessage(
  db: Db,
  input: { messageId: string; assertionDigest: string; recipient?: string },
): Promise<AcceptedDelivery | undefined> {
  return findAcceptedDelivery(db, {
    messageIds: bracketForms(input.messageId),
    assertionDigests: bracketForms(input.assertionDigest),
    ...(input.recipient !== undefined ? { recipient: input.recipient } : {}),
  })
}

/** A value with and without its angle brackets: header values carry them, bare ids do not. */
function bracketForms(value: string): string[] {
  const bare = value.replace(/^<(.*)>$/, '$1')
  return [bare, `<${bare}>`]
}
