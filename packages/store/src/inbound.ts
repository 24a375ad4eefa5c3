import type { Db } from './db.ts'
import { newId } from './ids.ts'

/** The idempotency key of a delivery to one recipient: the verified origin domain + Message-ID + recipient. */
export interface InboundKey {
  /** The verified origin of the chain (hop 0's sender domain): a Message-ID is unique only within it. */
  originDomain: string
  messageId: string
  /** Lower-cased addr-spec of the local recipient. */
  recipient: string
}

/** An earlier accepted delivery of the same message to the same recipient, by whichever sender. */
export interface InboundCopy {
  senderDomain: string
  messageRowId: string
}

/**
 * Every earlier delivery of this message to this recipient (one indexed read, for the repeat check and
 * the loop check alike): a row from the same sender is a repeat of the same delivery; one from another
 * sender is the same message arriving by another path.
 * @see docs/protocol.md §6 (Delivery: idempotent)
 */
export async function inboundCopiesOf(db: Db, key: InboundKey): Promise<InboundCopy[]> {
  const rows = await db
    .selectFrom('inbound_deliveries')
    .select(['sender_domain', 'message_row_id'])
    .where('origin_domain', '=', key.originDomain)
    .where('message_id_header', '=', key.messageId)
    .where('recipient', '=', key.recipient)
    .execute()
  return rows.map((r) => ({ senderDomain: r.sender_domain, messageRowId: r.message_row_id }))
}

/** Records one recipient's accepted delivery (what the fetch-token exchange later checks). */
export async function recordInbound(
  db: Db,
  row: InboundKey & {
    senderDomain: string
    /** JWT-Assertion-Digest of the assertion the message was delivered with. */
    assertionDigest: string
    messageRowId: string
    receivedAt: number
  },
): Promise<void> {
  await db
    .insertInto('inbound_deliveries')
    .values({
      id: newId('in'),
      origin_domain: row.originDomain,
      sender_domain: row.senderDomain,
      message_id_header: row.messageId,
      recipient: row.recipient,
      assertion_digest: row.assertionDigest,
      message_row_id: row.messageRowId,
      received_at: row.receivedAt,
    })
    .execute()
}

/**
 * Queues the auto-forward of a received copy to `forwardTo` (the MTA adds the forwarding block).
 * @see docs/protocol.md §7 (auto-forward)
 */
export async function queueForwardJob(
  db: Db,
  job: {
    account: string
    messageRowId: string
    forwardTo: string[]
    /** The received message, receipt on top. */
    placeholder: unknown
    now: number
    expiresAt: number
  },
): Promise<void> {
  await db
    .insertInto('forward_jobs')
    .values({
      id: newId('fw'),
      account: job.account,
      message_row_id: job.messageRowId,
      forward_to: JSON.stringify(job.forwardTo),
      placeholder: JSON.stringify(job.placeholder),
      state: 'queued',
      attempts: 0,
      next_attempt_at: job.now,
      lease_until: null,
      expires_at: job.expiresAt,
      last_error: null,
      created_at: job.now,
      updated_at: job.now,
    })
    .execute()
}

/**
 * Records a DPoP proof's replay key in the caller's transaction (the delivery it guards): true when the
 * key is fresh (now recorded), false when it is recorded and unexpired — a replay. The unique insert is
 * the check, so two replicas cannot both accept the same proof.
 * @see RFC 9449 §11.1
 */
export async function claimReplayKey(
  db: Db,
  claim: { key: string; expiresAt: number; now: number },
): Promise<boolean> {
  const result = await db
    .insertInto('replay_cache')
    .values({ key: claim.key, expires_at: claim.expiresAt })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet({ expires_at: claim.expiresAt })
        .where('replay_cache.expires_at', '<=', claim.now),
    )
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}
