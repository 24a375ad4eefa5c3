import { type PlaceholderMessage, readMessage } from '@federizer/protocol'
import { type Db, isSenderBlocked } from '@federizer/store'

/** Where one recipient's copy goes, decided by that recipient's own settings. */
export interface RecipientRouting {
  /** The sender is on the recipient's blocked list: the copy is filed in Junk and never forwarded. */
  junk: boolean
}

/**
 * A blocked sender's mail is accepted and filed in Junk, not refused: a refusal would tell the sender
 * they are blocked and would fail the other recipients of the same delivery (docs/architecture.md,
 * "User settings").
 */
export async function routeForRecipient(
  db: Db,
  recipient: string,
  message: PlaceholderMessage,
): Promise<RecipientRouting> {
  const from = readMessage(message).from.address
  return { junk: await isSenderBlocked(db, recipient, from) }
}
