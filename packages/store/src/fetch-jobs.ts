import type { Db } from './db.ts'
import { newId } from './ids.ts'
import { setContentState } from './messages.ts'
import { indexPlaceholder } from './placeholder-index.ts'
import { endAttempt } from './queue.ts'
import type { FetchJobRow, FetchJobState } from './schema-federation.ts'
import { indexMessageText } from './search.ts'
import { putSmallResources } from './small-resources.ts'
import { CorruptRowError, storedJson, storedPlaceholder } from './stored-values.ts'
import { inTransaction } from './tx.ts'

export type { FetchJobRow, FetchJobState }

/** One received copy × Content-ID to fetch from the origin mailbox (docs/protocol.md §6, Fetch). */
export interface NewFetchJob {
  account: string
  messageRowId: string
  messageId: string
  originDomain: string
  contentId: string
  size: number
  mediaType: string
  /** 0 = inline (text, html) first, 1 = attachments. */
  priority: number
  /** The envelope chain as stored (receipt block on top): what the fetch presents to the origin. */
  envelope: unknown[]
  /** `done` when pushed with the delivery; `waiting` while an identical copy's job fetches for it. */
  state: FetchJobState
  now: number
  expiresAt: number
}

/** Rows per INSERT: well below every dialect's bound-parameter limit (18 columns each). */
const INSERT_CHUNK = 200

/** Queues fetch jobs, in as few statements as the dialects allow (one per 200 rows). */
export async function insertFetchJobs(db: Db, jobs: readonly NewFetchJob[]): Promise<void> {
  const envelopes = new Map<unknown[], string>()
  const rows = jobs.map((j) => {
    let envelope = envelopes.get(j.envelope)
    if (envelope === undefined) {
      envelope = JSON.stringify(j.envelope)
      envelopes.set(j.envelope, envelope)
    }
    return {
      id: newId('fj'),
      account: j.account,
      message_row_id: j.messageRowId,
      message_id_header: j.messageId,
      origin_domain: j.originDomain,
      content_id: j.contentId,
      size: j.size,
      media_type: j.mediaType,
      priority: j.priority,
      envelope,
      state: j.state,
      attempts: 0,
      next_attempt_at: j.now,
      lease_until: null,
      expires_at: j.expiresAt,
      last_error: null,
      created_at: j.now,
      updated_at: j.now,
    }
  })
  for (let i = 0; i < rows.length; i += INSERT_CHUNK)
    await db
      .insertInto('fetch_jobs')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute()
}

/** The claimed fetch jobs (the MTA claims by lease, then reads them), inline parts first. */
export async function fetchJobsByIds(db: Db, ids: readonly string[]): Promise<FetchJobRow[]> {
  if (ids.length === 0) return []
  return db.selectFrom('fetch_jobs').selectAll().where('id', 'in', ids).orderBy('priority').execute()
}

/** A job's stored envelope chain, as the list of blocks it was stored as. */
export function fetchJobEnvelope(job: FetchJobRow): unknown[] {
  const value = storedJson(job.envelope, `the envelope of fetch job ${job.id}`)
  if (!Array.isArray(value)) throw new CorruptRowError(`the envelope of fetch job ${job.id} is not a list`)
  return value
}

/** Text of a fetched inline part, for the copies' search index and preview. */
export interface FetchedText {
  text: string
  /** From a text/plain part (an HTML part's text is used only by copies with no text/plain part). */
  plain: boolean
}

/**
 * Jobs of other copies that `job`'s fetch serves: the same Content-ID of the same message from the same
 * origin, presented with the byte-identical envelope — copies of the same delivery, whose own fetch would
 * present what this one presented and get the origin's same answer. `waiting` ones (they never fetch for
 * themselves) and queued ones nobody is running. A copy of another message naming the same Content-ID,
 * or the same message by another path, has another envelope and is never served (docs/protocol.md §6,
 * "Who may read a resource").
 */
async function takeSiblings(db: Db, job: FetchJobRow, end: Partial<FetchJobRow>, now: number) {
  const rows = await db
    .updateTable('fetch_jobs')
    .set({ ...end, lease_until: null, updated_at: now })
    .where('message_id_header', '=', job.message_id_header)
    .where('content_id', '=', job.content_id)
    .where('origin_domain', '=', job.origin_domain)
    .where('envelope', '=', job.envelope)
    .where('id', '!=', job.id)
    .where((eb) =>
      eb.or([
        eb('state', '=', 'waiting'),
        eb.and([
          eb('state', '=', 'queued'),
          eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]),
        ]),
      ]),
    )
    .returning('message_row_id')
    .execute()
  return rows.map((r) => r.message_row_id)
}

/**
 * A fetch completed and its bytes verified (SHA-256 = Content-ID) in the store: in one transaction the
 * job and every copy it serves are done, each copy may read the resource, gets the text indexed, and
 * is complete once none of its jobs is open (a note set earlier stays). Returns the copies served.
 * @see docs/protocol.md §6 (Fetch; "Who may read a resource")
 */
export async function completeFetchJob(
  db: Db,
  job: FetchJobRow,
  input: {
    now: number
    text?: FetchedText
    /** The fetched bytes when they are kept in the database (up to 64 KiB), not already a file. */
    small?: Uint8Array
  },
): Promise<string[]> {
  return inTransaction(db, async (trx) => {
    if (input.small)
      await putSmallResources(trx, [{ contentId: job.content_id, bytes: input.small }], input.now)
    await endAttempt(trx, 'fetch_jobs', job, { state: 'done' }, input.now)
    const copies = [
      job.message_row_id,
      ...(await takeSiblings(trx, job, { state: 'done', last_error: null }, input.now)),
    ]
    await grantFetchedResources(trx, { messageRowIds: copies, contentIds: [job.content_id] })
    if (input.text) {
      const skip = input.text.plain ? new Set<string>() : await copiesWithPlainText(trx, copies)
      for (const id of copies) if (!skip.has(id)) await indexMessageText(trx, { id, text: input.text.text })
    }
    const open = await trx
      .selectFrom('fetch_jobs')
      .select('message_row_id')
      .distinct()
      .where('message_row_id', 'in', copies)
      .where('state', '!=', 'done')
      .execute()
    const stillOpen = new Set(open.map((r) => r.message_row_id))
    const complete = copies.filter((id) => !stillOpen.has(id))
    if (complete.length > 0) {
      const rows = await trx
        .selectFrom('messages')
        .select(['id', 'content_reason'])
        .where('id', 'in', complete)
        .execute()
      for (const row of rows)
        await setContentState(trx, {
          id: row.id,
          contentState: 'complete',
          ...(row.content_reason ? { reason: row.content_reason } : {}),
        })
    }
    return copies
  })
}

/** The fetches (or pushes) of `contentIds` for these received copies completed and verified: their owners may read them. */
export async function grantFetchedResources(
  db: Db,
  input: { messageRowIds: readonly string[]; contentIds: readonly string[] },
): Promise<void> {
  if (input.messageRowIds.length === 0 || input.contentIds.length === 0) return
  await db
    .updateTable('resource_refs')
    .set({ readable: 1 })
    .where('owner_kind', '=', 'message')
    .where('owner_id', 'in', [...input.messageRowIds])
    .where('content_id', 'in', [...input.contentIds])
    .execute()
}

/**
 * Copies among `ids` whose message has a text/plain part (their preview comes from it, not from the
 * HTML), read from their placeholders: a pushed part has no fetch job to ask.
 */
async function copiesWithPlainText(db: Db, ids: string[]): Promise<Set<string>> {
  const rows = await db.selectFrom('messages').select(['id', 'placeholder']).where('id', 'in', ids).execute()
  return new Set(
    rows
      .filter((r) =>
        indexPlaceholder(
          storedPlaceholder(r.placeholder, `the placeholder of message ${r.id}`),
        ).resources.some((x) => /^text\/plain\b/i.test(x.mediaType)),
      )
      .map((r) => r.id),
  )
}

/**
 * A fetch failed for good (a final refusal, or the queue lifetime ran out): the job and the copies
 * waiting on it are failed, each copy `unavailable` with `reason`. Returns the copies.
 */
export async function failFetchJob(
  db: Db,
  job: FetchJobRow,
  input: { now: number; reason: string },
): Promise<string[]> {
  return inTransaction(db, async (trx) => {
    await endAttempt(trx, 'fetch_jobs', job, { state: 'failed', error: input.reason }, input.now)
    const waiting = await trx
      .updateTable('fetch_jobs')
      .set({ state: 'failed', last_error: input.reason, updated_at: input.now })
      .where('message_id_header', '=', job.message_id_header)
      .where('content_id', '=', job.content_id)
      .where('origin_domain', '=', job.origin_domain)
      .where('envelope', '=', job.envelope)
      .where('state', '=', 'waiting')
      .returning('message_row_id')
      .execute()
    const copies = [job.message_row_id, ...waiting.map((r) => r.message_row_id)]
    // A copy deleted meanwhile has nothing left to mark.
    const rows = await trx.selectFrom('messages').select('id').where('id', 'in', copies).execute()
    for (const { id } of rows)
      await setContentState(trx, { id, contentState: 'unavailable', reason: input.reason })
    return copies
  })
}
