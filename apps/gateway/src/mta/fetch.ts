import { createDpopKey, htmlToIndexText, lastAssertion } from '@federizer/protocol'
import {
  claimDue,
  completeFetchJob,
  endAttempt,
  type FetchedText,
  type FetchJobRow,
  failFetchJob,
  fetchJobEnvelope,
  fetchJobsByIds,
  readSmallSource,
  renewLease,
  SMALL_RESOURCE_MAX_BYTES,
} from '@federizer/store'
import type { GatewayContext } from '../context.ts'
import { discardBody, dpopPost, isTransientStatus, peerStreamOf, readProblem } from './dpop-post.ts'
import { errorText } from './outbox.ts'

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
    perDestination: { column: 'origin_domain', max: (d) => ctx.federation.windows.fetch.limit(d), running },
    leaseSeconds: ctx.domain.schedule.leaseSeconds,
  })
  return fetchJobsByIds(ctx.db, ids)
}

/**
 * How an attempt ended, for the origin's concurrency window (window.ts): `unanswered` (not found, not
 * reached, timed out, 5xx / 429) shrinks it; `answered` (any other answer) grows it back.
 */
type OriginFeedback = 'answered' | 'unanswered' | 'none'

class FetchFailure extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    /** `none` when the origin is not the cause (this domain's own AS refused the token). */
    readonly origin: OriginFeedback = 'answered',
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
  // skip: this fetch is what proves the origin grants them to this delivery (docs/protocol.md §6).
  const { leaseSeconds } = ctx.domain.schedule
  const renew = setInterval(
    () => void renewLease(ctx.db, 'fetch_jobs', job.id, ctx.now() + leaseSeconds).catch(() => {}),
    Math.max(500, (leaseSeconds * 1000) / 2),
  )
  let small: Buffer | undefined
  try {
    small = await fetchInto(ctx, job, signal)
  } catch (e) {
    if (signal.aborted) throw e
    // Anything not classified below is the connection's: refused, reset, timed out.
    failure = e instanceof FetchFailure ? e : new FetchFailure(errorText(e), false, 'unanswered')
  } finally {
    clearInterval(renew)
  }
  const window = ctx.federation.windows.fetch
  const feedback: OriginFeedback = failure ? failure.origin : 'answered'
  if (feedback === 'answered') window.answered(job.origin_domain)
  else if (feedback === 'unanswered') window.failed(job.origin_domain)
  await recordFetchOutcome(ctx, job, failure, small)
}

/**
 * Fetches the resource of `job`: a small one (up to 64 KiB as declared) into memory, checked against its
 * Content-ID and returned for the transaction that records the fetch (small-resources.ts); a larger one
 * streamed into the store, returning nothing.
 */
async function fetchInto(
  ctx: GatewayContext,
  job: FetchJobRow,
  signal: AbortSignal,
): Promise<Buffer | undefined> {
  let peer: Awaited<ReturnType<GatewayContext['discovery']['mailbox']>>
  try {
    peer = await ctx.discovery.mailbox(job.origin_domain)
  } catch (e) {
    throw new FetchFailure(
      `the mailbox of ${job.origin_domain} could not be discovered: ${errorText(e)}`,
      false,
      'unanswered',
    )
  }
  const envelope = fetchJobEnvelope(job)
  const cacheKey = `${job.message_row_id} ${peer.resource_url}`
  const { token, key } = await fetchToken(ctx, job, envelope, peer.resource_url, cacheKey)
  const deadline = AbortSignal.timeout(fetchJobTimeoutMs(job.size))
  const res = await dpopPost({
    fetch: ctx.federation.fetch,
    stream: peerStreamOf(ctx.domain, ctx.federation.fetch),
    url: peer.fetch_endpoint,
    token,
    key,
    body: JSON.stringify({ envelope, content_id: job.content_id }),
    accept: 'application/octet-stream',
    now: ctx.now,
    // A job ends in bounded time (a slow-drip origin too): then it is a failed attempt, retried later.
    signal: AbortSignal.any([signal, deadline]),
  })
  if (res.status < 200 || res.status > 299) {
    const problem = await readProblem(res)
    if (res.status === 401) tokenCaches.get(ctx)?.delete(cacheKey)
    const reason = `${job.origin_domain} refused the fetch (${problem.error}): ${problem.description}`
    const busy = isTransientStatus(res.status)
    throw new FetchFailure(reason, !busy && res.status !== 401, busy ? 'unanswered' : 'answered')
  }
  const maxBytes = Math.min(job.size, ctx.config.limits.maxResourceBytes)
  try {
    const checks = { maxBytes, expectedContentId: job.content_id }
    if (maxBytes <= SMALL_RESOURCE_MAX_BYTES) return await readSmallSource(res.body, checks)
    await ctx.federation.resources.write(res.body, checks)
    return undefined
  } catch (e) {
    if (signal.aborted) throw e
    // Cut off by the job's deadline: the origin was too slow; otherwise its bytes were wrong.
    throw new FetchFailure(
      `the bytes served by ${job.origin_domain} were not kept: ${errorText(e)}`,
      false,
      deadline.aborted ? 'unanswered' : 'answered',
    )
  } finally {
    // A write that failed before reading gives the connection back rather than leaving it to its timeout.
    discardBody(res.body)
  }
}

/** One minute plus the time the resource takes at 64 KiB/s. */
const fetchJobTimeoutMs = (size: number) => 60_000 + Math.ceil(size / 65_536) * 1000

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
  if (!subjectToken) throw new FetchFailure('the stored message carries no hop assertion', true, 'none')
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
    throw new FetchFailure(`this domain's AS refused the fetch token: ${errorText(e)}`, false, 'none')
  }
}

/**
 * Ends the attempt in one transaction: done (with every copy of the same delivery the fetch serves),
 * failed for good (with the copies waiting on it), or due again later.
 */
async function recordFetchOutcome(
  ctx: GatewayContext,
  job: FetchJobRow,
  failure?: FetchFailure,
  small?: Buffer,
): Promise<void> {
  const now = ctx.now()
  let served = 1
  if (!failure) {
    const text = await fetchedText(ctx, job, small)
    served = (
      await completeFetchJob(ctx.db, job, { now, ...(text ? { text } : {}), ...(small ? { small } : {}) })
    ).length
  } else if (failure.permanent || now >= job.expires_at) {
    const reason = failure.permanent
      ? failure.message
      : `gave up after the queue lifetime; last error: ${failure.message}`
    served = (await failFetchJob(ctx.db, job, { now, reason })).length
  } else {
    const nextAttemptAt = Math.min(
      now + ctx.domain.schedule.retryDelaySeconds(job.attempts + 1),
      job.expires_at,
    )
    await endAttempt(
      ctx.db,
      'fetch_jobs',
      job,
      { state: 'retry', error: failure.message, nextAttemptAt },
      now,
    )
  }
  const line = {
    job: job.id,
    contentId: job.content_id,
    origin: job.origin_domain,
    attempts: job.attempts + 1,
    copies: served,
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
 * The text a fetched inline part gives the copies' search index and preview: a text/plain part, or an
 * HTML part with its tags dropped (used by copies that have no text/plain part). Read before the
 * transaction that records the fetch.
 */
async function fetchedText(
  ctx: GatewayContext,
  job: FetchJobRow,
  small: Buffer | undefined,
): Promise<FetchedText | undefined> {
  if (job.priority !== 0 || job.size > MAX_INDEXED_TEXT) return undefined
  const plain = /^text\/plain\b/i.test(job.media_type)
  if (!plain && !/^text\/html\b/i.test(job.media_type)) return undefined
  const bytes = small ?? (await ctx.federation.resources.readSmall(job.content_id, MAX_INDEXED_TEXT))
  if (!bytes) return undefined
  const text = bytes.toString('utf8')
  return { text: plain ? text : htmlToIndexText(text), plain }
}
