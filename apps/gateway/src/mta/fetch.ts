import { Readable } from 'node:stream'
import { createDpopKey, htmlToIndexText, lastAssertion } from '@federizer/protocol'
import {
  claimDue,
  type DatabaseSchema,
  type Db,
  endAttempt,
  grantFetchedResource,
  indexMessageText,
  inTransaction,
  renewLease,
  setContentState,
} from '@federizer/store'
import type { Selectable } from 'kysely'
import type { GatewayContext } from '../context.ts'
import { dpopPost, isTransientStatus, readProblem } from './dpop-post.ts'
import { errorText } from './outbox.ts'
import { PER_DESTINATION } from './runner.ts'

type FetchJobRow = Selectable<DatabaseSchema['fetch_jobs']>

interface CachedFetchToken {
  token: string
  key: Awaited<ReturnType<typeof createDpopKey>>
  expiresAt: number
}

/** Fetch tokens by (message row, origin): one exchange serves every resource of a message for its lifetime. */
const tokenCaches = new WeakMap<GatewayContext, Map<string, CachedFetchToken>>()

export async function claimFetchJobs(
  ctx: GatewayContext,
  limit: number,
  exclude: ReadonlySet<string>,
  running: ReadonlyMap<string, number> = new Map(),
) {
  const ids = await claimDue(ctx.db, 'fetch_jobs', {
    now: ctx.now(),
    limit,
    exclude,
    states: ['queued'],
    byPriority: true,
    perDestination: { column: 'origin_domain', max: PER_DESTINATION, running },
    leaseSeconds: ctx.domain.schedule.leaseSeconds,
  })
  if (ids.length === 0) return []
  return ctx.db.selectFrom('fetch_jobs').selectAll().where('id', 'in', ids).orderBy('priority').execute()
}

class FetchFailure extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message)
  }
}

/**
 * Fetches one External Resource from the origin mailbox: a mode-3 token exchange at this domain's own AS
 * (audience = the origin's resource URL, message_id), then `POST /federizer/fetch` with the whole envelope
 * chain and the Content-ID; the response is streamed into the resource store, which hashes while writing
 * and keeps the file only if its SHA-256 is the Content-ID.
 * @see docs/protocol.md §6 (Fetch ACL), §4 (fetch mode); RFC 8693 §2.1; RFC 9449 §7.1
 */
export async function runFetchJob(ctx: GatewayContext, job: FetchJobRow, signal: AbortSignal): Promise<void> {
  let failure: FetchFailure | undefined
  // Bytes already in the store (another account's upload, or another message) are never a reason to
  // skip: this copy's fetch is what proves the origin grants it (docs/protocol.md §6).
  if (!(await sameDeliveryFetched(ctx.db, job))) {
    const { leaseSeconds } = ctx.domain.schedule
    const renew = setInterval(
      () => void renewLease(ctx.db, 'fetch_jobs', job.id, ctx.now() + leaseSeconds).catch(() => {}),
      Math.max(500, (leaseSeconds * 1000) / 2),
    )
    try {
      await fetchInto(ctx, job, signal)
    } catch (e) {
      if (signal.aborted) throw e
      failure = e instanceof FetchFailure ? e : new FetchFailure(errorText(e), false)
    } finally {
      clearInterval(renew)
    }
  }
  await recordFetchOutcome(ctx, job, failure)
}

/**
 * True when a copy of the same delivery (byte-identical envelope, which includes this domain's receipt
 * of that one delivery) already fetched this Content-ID: the origin's answer to this copy would be the
 * one it gave then. A different path to the same Message-ID (another forward, a replayed or forged
 * chain) has another envelope and fetches for itself.
 */
async function sameDeliveryFetched(db: Db, job: FetchJobRow): Promise<boolean> {
  const done = await db
    .selectFrom('fetch_jobs')
    .select('id')
    .where('message_id_header', '=', job.message_id_header)
    .where('content_id', '=', job.content_id)
    .where('origin_domain', '=', job.origin_domain)
    .where('envelope', '=', job.envelope)
    .where('state', '=', 'done')
    .where('id', '!=', job.id)
    .limit(1)
    .executeTakeFirst()
  return done !== undefined
}

async function fetchInto(ctx: GatewayContext, job: FetchJobRow, signal: AbortSignal): Promise<void> {
  let peer: Awaited<ReturnType<GatewayContext['discovery']['mailbox']>>
  try {
    peer = await ctx.discovery.mailbox(job.origin_domain)
  } catch (e) {
    throw new FetchFailure(
      `the mailbox of ${job.origin_domain} could not be discovered: ${errorText(e)}`,
      false,
    )
  }
  const envelope = JSON.parse(job.envelope)
  const cacheKey = `${job.message_row_id} ${peer.resource_url}`
  const { token, key } = await fetchToken(ctx, job, envelope, peer.resource_url, cacheKey)
  const res = await dpopPost({
    fetch: ctx.federation.fetch,
    url: peer.fetch_endpoint,
    token,
    key,
    body: JSON.stringify({ envelope, content_id: job.content_id }),
    accept: 'application/octet-stream',
    now: ctx.now,
    // A job ends in bounded time (a slow-drip origin too): then it is a failed attempt, retried later.
    signal: AbortSignal.any([signal, AbortSignal.timeout(fetchJobTimeoutMs(job.size))]),
  })
  if (!res.ok || !res.body) {
    const problem = await readProblem(res)
    if (res.status === 401) tokenCaches.get(ctx)?.delete(cacheKey)
    const reason = `${job.origin_domain} refused the fetch (${problem.error}): ${problem.description}`
    throw new FetchFailure(reason, !isTransientStatus(res.status) && res.status !== 401)
  }
  const maxBytes = Math.min(job.size, ctx.config.limits.maxResourceBytes)
  try {
    await ctx.federation.resources.write(Readable.fromWeb(res.body as never, { highWaterMark: 4 << 20 }), {
      maxBytes,
      expectedContentId: job.content_id,
    })
  } catch (e) {
    if (signal.aborted) throw e
    throw new FetchFailure(`the bytes served by ${job.origin_domain} were not kept: ${errorText(e)}`, false)
  }
}

/** One minute plus the time the resource takes at 64 KiB/s. */
export const fetchJobTimeoutMs = (size: number) => 60_000 + Math.ceil(size / 65_536) * 1000

async function fetchToken(
  ctx: GatewayContext,
  job: FetchJobRow,
  envelope: unknown[],
  audience: string,
  cacheKey: string,
): Promise<CachedFetchToken> {
  let cache = tokenCaches.get(ctx)
  if (!cache) {
    cache = new Map()
    tokenCaches.set(ctx, cache)
  }
  const now = ctx.now()
  const cached = cache.get(cacheKey)
  if (cached && cached.expiresAt > now + 30) return cached
  const subjectToken = lastAssertion({ envelope, parts: [] } as never)
  if (!subjectToken) throw new FetchFailure('the stored message carries no hop assertion', true)
  const key = await createDpopKey()
  try {
    const issued = await ctx.domain.mtaTokens.exchange({
      dpopKey: key,
      subjectToken,
      subjectTokenType: 'jwt',
      requestedTokenType: 'access_token',
      audience,
      messageId: job.message_id_header,
    })
    const entry = { token: issued.token, key, expiresAt: now + Math.max(60, issued.expiresIn ?? 300) }
    cache.set(cacheKey, entry)
    if (cache.size > 10_000) cache.delete(cache.keys().next().value as string)
    return entry
  } catch (e) {
    throw new FetchFailure(`this domain's AS refused the fetch token: ${errorText(e)}`, false)
  }
}

async function recordFetchOutcome(
  ctx: GatewayContext,
  job: FetchJobRow,
  failure?: FetchFailure,
): Promise<void> {
  const now = ctx.now()
  await inTransaction(ctx.db, async (trx) => {
    if (!failure) {
      await endAttempt(trx, 'fetch_jobs', job, { state: 'done' }, now)
      await grantFetchedResource(trx, { messageRowId: job.message_row_id, contentId: job.content_id })
      const open = await trx
        .selectFrom('fetch_jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('message_row_id', '=', job.message_row_id)
        .where('state', '!=', 'done')
        .executeTakeFirst()
      await indexFetchedText(ctx, trx, job)
      if (Number(open?.n ?? 0) === 0) {
        // A note set earlier (e.g. why an auto-forward did not happen) stays with the message.
        const current = await trx
          .selectFrom('messages')
          .select('content_reason')
          .where('id', '=', job.message_row_id)
          .executeTakeFirst()
        await setContentState(trx, {
          id: job.message_row_id,
          contentState: 'complete',
          ...(current?.content_reason ? { reason: current.content_reason } : {}),
        })
      }
      return
    }
    const attempts = job.attempts + 1
    if (failure.permanent || now >= job.expires_at) {
      const reason = failure.permanent
        ? failure.message
        : `gave up after the queue lifetime; last error: ${failure.message}`
      await endAttempt(trx, 'fetch_jobs', job, { state: 'failed', error: reason }, now)
      await setContentState(trx, { id: job.message_row_id, contentState: 'unavailable', reason })
      return
    }
    const nextAttemptAt = Math.min(now + ctx.domain.schedule.retryDelaySeconds(attempts), job.expires_at)
    await endAttempt(trx, 'fetch_jobs', job, { state: 'retry', error: failure.message, nextAttemptAt }, now)
  })
  const line = {
    job: job.id,
    contentId: job.content_id,
    origin: job.origin_domain,
    attempts: job.attempts + 1,
  }
  if (!failure) ctx.logger.info(line, 'fetched')
  else
    ctx.logger.warn(
      { ...line, reason: failure.message, permanent: failure.permanent },
      'fetch attempt failed',
    )
}

const MAX_INDEXED_TEXT = 1024 * 1024

/**
 * Makes a fetched text part searchable and gives the message its preview: the text/plain part, or the
 * HTML part with its tags dropped when the message has no plain text.
 */
async function indexFetchedText(ctx: GatewayContext, db: Db, job: FetchJobRow): Promise<void> {
  if (job.priority !== 0 || job.size > MAX_INDEXED_TEXT) return
  const plain = /^text\/plain\b/i.test(job.media_type)
  const html = /^text\/html\b/i.test(job.media_type)
  if (!plain && !html) return
  if (html) {
    const sibling = await db
      .selectFrom('fetch_jobs')
      .select('id')
      .where('message_row_id', '=', job.message_row_id)
      .where('media_type', 'like', 'text/plain%')
      .executeTakeFirst()
    if (sibling) return
  }
  const bytes = await ctx.federation.resources.readSmall(job.content_id, MAX_INDEXED_TEXT)
  if (!bytes) return
  const text = bytes.toString('utf8')
  await indexMessageText(db, { id: job.message_row_id, text: plain ? text : htmlToIndexText(text) })
}
