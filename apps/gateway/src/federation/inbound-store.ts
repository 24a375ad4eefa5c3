import {
  type ChainVerification,
  htmlToIndexText,
  listResources,
  type PlaceholderMessage,
  ProtocolError,
} from '@federizer/protocol'
import {
  claimReplayKey,
  type Db,
  getAutoForwardSettings,
  grantFetchedResources,
  inboundCopiesOf,
  insertFetchJobs,
  insertMessage,
  inTransaction,
  type NewFetchJob,
  putSmallResources,
  type QueueTable,
  queueForwardJob,
  queueVacationReply,
  recordInbound,
  type SmallResource,
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
  /** Resources pushed with the delivery, checked against the signed body. */
  pushed?: ReadonlyMap<string, Buffer>
  /** The pushed ones up to 64 KiB, kept in the database by this transaction (the larger are files already). */
  small?: SmallResource[]
  /**
   * The replay key of the delivery's DPoP proof (RFC 9449 §11.1), recorded by the unique insert that
   * opens the delivery's own transaction: a refused delivery leaves no key, a replayed one stores nothing.
   */
  replayKey: { key: string; expiresAt: number }
  /** Charges the sending peer's budgets in this transaction (it throws, rolling back, when over). */
  charge?: (trx: Db) => Promise<void>
}

export interface StoredRecipient {
  recipient: string
  messageRowId: string
  duplicate: boolean
  forwarded: boolean
  /** The MTA queues this copy put work in (the delivery wakes their runners). */
  queued: QueueTable[]
}

/**
 * Stores an accepted delivery in ONE transaction (one commit per hop): the proof's replay key first, then
 * per recipient the message copy (content 'arriving'), the idempotency row, and its fetch jobs (inline
 * parts first) — or a forward job for a user with auto-forward. Idempotency keys on the verified origin
 * domain + Message-ID + recipient (a Message-ID is only unique within the domain that minted it, so
 * another domain's message with the same Message-ID is a different message): the same delivery again from
 * the same sender is a repeat (its row already exists); the same message reaching the recipient by another
 * path is recorded, not stored twice. Throws ProtocolError `replayed` (nothing stored) for a used proof.
 * @see docs/protocol.md §6 Delivery (store durably before answering 2xx; idempotent); RFC 9449 §11.1
 */
export async function storeDelivery(db: Db, d: AcceptedDelivery): Promise<StoredRecipient[]> {
  const resources = listResources(d.message)
  const lifetime = d.lifetimeSeconds
  return inTransaction(db, async (trx) => {
    if (!(await claimReplayKey(trx, { ...d.replayKey, now: d.now })))
      throw new ProtocolError('replayed', 'this DPoP proof (jti) was already used')
    // The pushed bodies of up to 64 KiB, durable with the copies that read them.
    await putSmallResources(trx, d.small ?? [], d.now)
    await d.charge?.(trx)
    const out: StoredRecipient[] = []
    const jobs: NewFetchJob[] = []
    // Content-IDs an earlier copy of this delivery fetches: the later copies wait for that one fetch.
    const fetching = new Set<string>()
    for (const recipient of d.recipients) {
      const key = { originDomain: d.originDomain, messageId: d.messageId, recipient }
      const earlier = await inboundCopiesOf(trx, key)
      const repeat = earlier.find((c) => c.senderDomain === d.senderDomain)
      if (repeat) {
        out.push({
          recipient,
          messageRowId: repeat.messageRowId,
          duplicate: true,
          forwarded: false,
          queued: [],
        })
        continue
      }
      const inbound = {
        ...key,
        senderDomain: d.senderDomain,
        assertionDigest: d.assertionDigest,
        receivedAt: d.now,
      }
      // The same message reaching the same user again by another path (an auto-forward loop, or a copy
      // forwarded by a co-recipient) is recorded but not stored or forwarded twice: mail loops end here.
      const seen = earlier[0]
      if (seen) {
        await recordInbound(trx, { ...inbound, messageRowId: seen.messageRowId })
        out.push({
          recipient,
          messageRowId: seen.messageRowId,
          duplicate: false,
          forwarded: false,
          queued: [],
        })
        continue
      }
      const routing = await routeForRecipient(trx, recipient, d.message)
      const autoForward = routing.junk ? null : await getAutoForwardSettings(trx, recipient)
      const forwarded = autoForward !== null
      const forwardTo = autoForward?.to ?? []
      // The forwarder never fetches for the forward (docs/protocol.md §3, Forward; §7 auto-forward). A
      // user who keeps a copy has this mailbox fetch as the recipient it is; otherwise the copy says where
      // the message went instead.
      const fetchesHere = !forwarded || autoForward.keepCopy
      // A copy whose every resource was pushed is complete as it is stored, its text indexed at once.
      const allPushed = resources.every((r) => d.pushed?.has(r.contentId) === true)
      const text = fetchesHere && d.pushed ? pushedText(resources, d.pushed) : undefined
      const { id } = await insertMessage(trx, {
        account: recipient,
        mailboxRole: routing.junk ? 'junk' : 'inbox',
        placeholder: d.message,
        contentState: resources.length === 0 || (fetchesHere && allPushed) ? 'complete' : 'arriving',
        ...(text === undefined ? {} : { text }),
        // Naming a Content-ID grants nothing: this copy reads only what its own fetch brings
        // (docs/protocol.md §6, "Who may read a resource").
        resourcesReadable: false,
        receivedAt: d.now,
        chainVerification: d.verification,
      })
      await recordInbound(trx, { ...inbound, messageRowId: id })
      const queued: QueueTable[] = []
      // The vacation auto-reply, at most once per sender per period (RFC 3834); never for Junk.
      if (
        !routing.junk &&
        (await queueVacationReply(trx, {
          account: recipient,
          messageRowId: id,
          message: d.message,
          now: d.now,
          lifetime,
        }))
      )
        queued.push('vacation_jobs')
      if (fetchesHere) {
        const planned = await planFetchJobs(trx, {
          account: recipient,
          messageRowId: id,
          messageId: d.messageId,
          originDomain: d.originDomain,
          message: d.message,
          now: d.now,
          lifetime,
          ...(d.pushed ? { pushed: d.pushed } : {}),
          fetching,
        })
        jobs.push(...planned)
        if (planned.some((j) => j.state === 'queued')) queued.push('fetch_jobs')
      } else if (resources.length > 0) {
        await setContentState(trx, {
          id,
          contentState: 'unavailable',
          reason: `auto-forwarded to ${forwardTo.join(', ')}; the content is not fetched by this mailbox`,
        })
      }
      if (forwarded) {
        await queueForwardJob(trx, {
          account: recipient,
          messageRowId: id,
          forwardTo,
          placeholder: d.message,
          now: d.now,
          expiresAt: d.now + lifetime,
        })
        queued.push('forward_jobs')
      }
      out.push({ recipient, messageRowId: id, duplicate: false, forwarded, queued })
    }
    await insertFetchJobs(trx, jobs)
    return out
  })
}

interface CopyToFetch {
  account: string
  messageRowId: string
  messageId: string
  originDomain: string
  message: PlaceholderMessage
  now: number
  lifetime: number
  pushed?: ReadonlyMap<string, Buffer>
  /**
   * Content-IDs another copy of the same delivery already fetches (and that copy's job is added here):
   * this copy's job for them `waits` and is served by that one fetch (fetch-jobs.ts completeFetchJob).
   */
  fetching?: Set<string>
}

/**
 * The text to index of a copy from its pushed resources: the first inline text/plain part, else the
 * first inline text/html part as text; undefined when no inline text part was pushed.
 */
function pushedText(
  resources: ReturnType<typeof listResources>,
  pushed: ReadonlyMap<string, Buffer>,
): string | undefined {
  let html: string | undefined
  for (const r of resources) {
    const bytes = pushed.get(r.contentId)
    if (bytes === undefined || r.disposition !== 'inline') continue
    if (/^text\/plain\b/i.test(r.mediaType)) return bytes.toString('utf8')
    if (html === undefined && /^text\/html\b/i.test(r.mediaType))
      html = htmlToIndexText(bytes.toString('utf8'))
  }
  return html
}

/**
 * The fetch jobs of one stored copy, one per distinct Content-ID of its message that was not pushed:
 * inline parts first (priority 0), then attachments. The envelope presented to the origin is the stored
 * one. A resource pushed with the delivery is this copy's own fetched copy at once: no job, and the copy
 * may read it (the confinement rule of docs/protocol.md §6); the copy was stored complete and indexed
 * when all were pushed (storeDelivery). A resource another copy of the same delivery fetches is fetched
 * once for both: same message, same envelope, so the same answer from the origin (docs/protocol.md §6).
 * Returns the jobs for the caller to insert.
 */
async function planFetchJobs(db: Db, j: CopyToFetch): Promise<NewFetchJob[]> {
  const jobs: NewFetchJob[] = []
  const pushed: string[] = []
  for (const r of listResources(j.message)) {
    if (jobs.some((x) => x.contentId === r.contentId) || pushed.includes(r.contentId)) continue
    if (j.pushed?.has(r.contentId)) {
      pushed.push(r.contentId)
      continue
    }
    const waits = j.fetching?.has(r.contentId) === true
    j.fetching?.add(r.contentId)
    jobs.push({
      account: j.account,
      messageRowId: j.messageRowId,
      messageId: j.messageId,
      originDomain: j.originDomain,
      contentId: r.contentId,
      size: r.size,
      mediaType: r.mediaType,
      priority: r.disposition === 'inline' ? 0 : 1,
      envelope: j.message.envelope,
      state: waits ? 'waiting' : 'queued',
      now: j.now,
      expiresAt: j.now + j.lifetime,
    })
  }
  if (pushed.length > 0)
    await grantFetchedResources(db, { messageRowIds: [j.messageRowId], contentIds: pushed })
  return jobs
}

/**
 * Queues the fetch jobs of one stored copy (see `planFetchJobs`) and returns how many distinct
 * resources it names.
 */
export async function queueFetchJobs(db: Db, j: CopyToFetch): Promise<number> {
  const jobs = await planFetchJobs(db, j)
  await insertFetchJobs(db, jobs)
  return jobs.length
}
