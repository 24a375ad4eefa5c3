import { randomUUID } from 'node:crypto'
import {
  type ChainVerification,
  htmlToIndexText,
  listResources,
  type PlaceholderMessage,
} from '@federizer/protocol'
import {
  type Db,
  getAutoForwardSettings,
  grantFetchedResource,
  indexMessageText,
  insertMessage,
  inTransaction,
  queueVacationReply,
  setContentState,
} from '@federizer/store'
import { routeForRecipient } from './recipient-rules.ts'

export interface AcceptedDelivery {
  /** The message with this domain's receipt block pushed. */
  message: PlaceholderMessage
  senderDomain: string
  messageId: string
  assertionDigest: string
  /** The verified origin of the chain (hop 0's sender domain). */
  originDomain: string
  recipients: string[]
  verification: ChainVerification
  now: number
  /** The queue lifetime of the domain's schedule (already scaled): fetch and forward jobs expire after it. */
  lifetimeSeconds: number
  /** Resources pushed with the delivery, checked against the signed body and already in the store. */
  pushed?: ReadonlyMap<string, Buffer>
}

export interface StoredRecipient {
  recipient: string
  messageRowId: string
  duplicate: boolean
  forwarded: boolean
}

/** The idempotency row of one recipient's delivery (and what the fetch-token exchange checks). */
async function recordInbound(trx: Db, d: AcceptedDelivery, recipient: string, messageRowId: string) {
  await trx
    .insertInto('inbound_deliveries')
    .values({
      id: `in_${randomUUID()}`,
      origin_domain: d.originDomain,
      sender_domain: d.senderDomain,
      message_id_header: d.messageId,
      recipient,
      assertion_digest: d.assertionDigest,
      message_row_id: messageRowId,
      received_at: d.now,
    })
    .execute()
}

/**
 * Stores an accepted delivery in ONE transaction: per recipient, the message copy (content 'arriving'),
 * the idempotency row, and its fetch jobs (inline parts first) — or a forward job for a user with
 * auto-forward. Idempotency keys on the verified origin domain + Message-ID + recipient (a Message-ID is
 * only unique within the domain that minted it, so another domain's message with the same Message-ID is
 * a different message): the same delivery again from the same sender is a repeat (its row already
 * exists); the same message reaching the recipient by another path is recorded, not stored twice.
 * @see docs/protocol.md §6 Delivery (store durably before answering 2xx; idempotent)
 */
export async function storeDelivery(db: Db, d: AcceptedDelivery): Promise<StoredRecipient[]> {
  const resources = listResources(d.message)
  const lifetime = d.lifetimeSeconds
  return inTransaction(db, async (trx) => {
    const out: StoredRecipient[] = []
    for (const recipient of d.recipients) {
      const existing = await trx
        .selectFrom('inbound_deliveries')
        .select('message_row_id')
        .where('origin_domain', '=', d.originDomain)
        .where('sender_domain', '=', d.senderDomain)
        .where('message_id_header', '=', d.messageId)
        .where('recipient', '=', recipient)
        .executeTakeFirst()
      if (existing) {
        out.push({ recipient, messageRowId: existing.message_row_id, duplicate: true, forwarded: false })
        continue
      }
      // The same message reaching the same user again by another path (an auto-forward loop, or a copy
      // forwarded by a co-recipient) is recorded but not stored or forwarded twice: mail loops end here.
      const seen = await trx
        .selectFrom('inbound_deliveries')
        .select('message_row_id')
        .where('origin_domain', '=', d.originDomain)
        .where('message_id_header', '=', d.messageId)
        .where('recipient', '=', recipient)
        .executeTakeFirst()
      if (seen) {
        await recordInbound(trx, d, recipient, seen.message_row_id)
        out.push({ recipient, messageRowId: seen.message_row_id, duplicate: false, forwarded: false })
        continue
      }
      const routing = await routeForRecipient(trx, recipient, d.message)
      const autoForward = routing.junk ? null : await getAutoForwardSettings(trx, recipient)
      const forwarded = autoForward !== null
      const forwardTo = autoForward?.to ?? []
      const { id } = await insertMessage(trx, {
        account: recipient,
        mailboxRole: routing.junk ? 'junk' : 'inbox',
        placeholder: d.message,
        contentState: resources.length === 0 ? 'complete' : 'arriving',
        // Naming a Content-ID grants nothing: this copy reads only what its own fetch brings
        // (docs/protocol.md §6, "Who may read a resource").
        resourcesReadable: false,
        receivedAt: d.now,
        chainVerification: d.verification,
      })
      await recordInbound(trx, d, recipient, id)
      // The vacation auto-reply, at most once per sender per period (RFC 3834); never for Junk.
      if (!routing.junk)
        await queueVacationReply(trx, {
          account: recipient,
          messageRowId: id,
          message: d.message,
          now: d.now,
          lifetime,
        })
      // The forwarder never fetches for the forward (docs/protocol.md §3, Forward; §7 auto-forward). A user who keeps a copy has this mailbox
      // fetch as the recipient it is; otherwise the copy says where the message went instead.
      if (!forwarded || autoForward.keepCopy) {
        await queueFetchJobs(trx, {
          account: recipient,
          messageRowId: id,
          messageId: d.messageId,
          originDomain: d.originDomain,
          message: d.message,
          now: d.now,
          lifetime,
          ...(d.pushed ? { pushed: d.pushed } : {}),
        })
      } else if (resources.length > 0) {
        await setContentState(trx, {
          id,
          contentState: 'unavailable',
          reason: `auto-forwarded to ${forwardTo.join(', ')}; the content is not fetched by this mailbox`,
        })
      }
      if (forwarded) {
        await trx
          .insertInto('forward_jobs')
          .values({
            id: `fw_${randomUUID()}`,
            account: recipient,
            message_row_id: id,
            forward_to: JSON.stringify(forwardTo),
            placeholder: JSON.stringify(d.message),
            state: 'queued',
            attempts: 0,
            next_attempt_at: d.now,
            lease_until: null,
            expires_at: d.now + lifetime,
            last_error: null,
            created_at: d.now,
            updated_at: d.now,
          })
          .execute()
      }
      out.push({ recipient, messageRowId: id, duplicate: false, forwarded })
    }
    return out
  })
}

/**
 * Queues one fetch job per distinct Content-ID of `message` for one stored copy: inline parts first
 * (priority 0), then attachments. The envelope presented to the origin is the stored one. A resource
 * pushed with the delivery is this copy's own fetched copy at once: its job is recorded done, the copy
 * may read it (the confinement rule of docs/protocol.md §6), and its text is indexed; a copy whose every
 * resource was pushed is complete.
 */
export async function queueFetchJobs(
  db: Db,
  j: {
    account: string
    messageRowId: string
    messageId: string
    originDomain: string
    message: PlaceholderMessage
    now: number
    lifetime: number
    pushed?: ReadonlyMap<string, Buffer>
  },
): Promise<number> {
  const seen = new Set<string>()
  const envelope = JSON.stringify(j.message.envelope)
  let open = 0
  let indexed: { text: string; plain: boolean } | undefined
  for (const r of listResources(j.message)) {
    if (seen.has(r.contentId)) continue
    seen.add(r.contentId)
    const bytes = j.pushed?.get(r.contentId)
    if (bytes === undefined) open++
    else if (r.disposition === 'inline' && !indexed?.plain) {
      const plain = /^text\/plain\b/i.test(r.mediaType)
      if (plain || /^text\/html\b/i.test(r.mediaType))
        indexed = { text: plain ? bytes.toString('utf8') : htmlToIndexText(bytes.toString('utf8')), plain }
    }
    await db
      .insertInto('fetch_jobs')
      .values({
        id: `fj_${randomUUID()}`,
        account: j.account,
        message_row_id: j.messageRowId,
        message_id_header: j.messageId,
        origin_domain: j.originDomain,
        content_id: r.contentId,
        size: r.size,
        media_type: r.mediaType,
        priority: r.disposition === 'inline' ? 0 : 1,
        envelope,
        state: bytes === undefined ? 'queued' : 'done',
        attempts: 0,
        next_attempt_at: j.now,
        lease_until: null,
        expires_at: j.now + j.lifetime,
        last_error: null,
        created_at: j.now,
        updated_at: j.now,
      })
      .execute()
    if (bytes !== undefined)
      await grantFetchedResource(db, { messageRowId: j.messageRowId, contentId: r.contentId })
  }
  if (indexed) await indexMessageText(db, { id: j.messageRowId, text: indexed.text })
  if (seen.size > 0 && open === 0) await setContentState(db, { id: j.messageRowId, contentState: 'complete' })
  return seen.size
}
