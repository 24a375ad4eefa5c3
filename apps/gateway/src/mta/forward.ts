import {
  addForwarding,
  createDpopKey,
  domainOf,
  getHeader,
  type Header,
  isProtocolError,
  lastAssertion,
  messageIdOf,
  type PlaceholderMessage,
  pushAssertion,
  readMessage,
  recipientsByDomain,
  TokenExchangeError,
} from '@federizer/protocol'
import {
  claimDue,
  endAttempt,
  enqueueOutbox,
  type ForwardJobRow,
  findUser,
  forwardJobsByIds,
  inTransaction,
  recordDeliveryStatus,
  setContentState,
  storedPlaceholder,
  storedStrings,
} from '@federizer/store'
import type { GatewayContext } from '../context.ts'
import { queueFetchJobs } from '../federation/inbound-store.ts'
import { isTransientStatus } from './dpop-post.ts'
import { errorText } from './error-text.ts'

export async function claimForwardJobs(ctx: GatewayContext, limit: number, exclude: ReadonlySet<string>) {
  const ids = await claimDue(ctx.db, 'forward_jobs', {
    now: ctx.now(),
    limit,
    exclude,
    states: ['queued'],
    leaseSeconds: ctx.domain.schedule.leaseSeconds,
  })
  return forwardJobsByIds(ctx.db, ids)
}

/** The `[name, value]` pairs of `block` named by `ehl`, in `ehl` order: what the AS is asked to sign. */
export function headersToSign(block: Header[], ehl: string[]): Header[] {
  return ehl.map((name) => {
    const value = getHeader(block, name)
    if (value === undefined) throw new Error(`the forwarding block has no ${name} header`)
    return [name, value] as Header
  })
}

/**
 * Auto-forwards one received message: adds the forwarding block (Forwarded-From, Forwarded-To,
 * Recipients-Digest, Date) to this domain's receipt block, exchanges the previous hop's assertion for a
 * new one at this domain's own AS (mode 2, where the user's forwarding policy is enforced) with a fresh
 * DPoP key, and queues the result in the outbox, one row per next domain. The forwarder never fetches.
 * @see docs/protocol.md §3 (Forward), §4 (token endpoint, forward mode)
 */
export async function runForwardJob(
  ctx: GatewayContext,
  job: ForwardJobRow,
  signal: AbortSignal,
): Promise<void> {
  const now = ctx.now()
  const forwardTo = storedStrings(job.forward_to, `forward job ${job.id}'s forward_to`)
  let queued: { message: PlaceholderMessage; key: Awaited<ReturnType<typeof createDpopKey>> } | undefined
  let failure: { reason: string; permanent: boolean } | undefined
  try {
    const received = storedPlaceholder(job.placeholder, `forward job ${job.id}'s placeholder`)
    const user = await findUser(ctx.db, job.account)
    const { message, eh } = addForwarding(received, {
      forwardedFrom: { ...(user?.name ? { name: user.name } : {}), address: job.account },
      forwardedTo: forwardTo.map((address) => ({ address })),
      date: new Date(now * 1000),
    })
    const top = message.envelope[0]
    if (!top || !('headers' in top)) throw new Error('the forwarding block is missing')
    const subjectToken = lastAssertion(received)
    if (!subjectToken) throw new Error('the received message carries no hop assertion')
    const key = await createDpopKey()
    const issued = await ctx.domain.mtaTokens.exchange({
      dpopKey: key,
      subjectToken,
      subjectTokenType: 'jwt',
      requestedTokenType: 'jwt',
      headers: headersToSign(top.headers, eh.ehl),
    })
    queued = { message: pushAssertion(message, issued.token), key }
  } catch (e) {
    if (signal.aborted) throw e
    failure = { reason: `auto-forward was refused: ${errorText(e)}`, permanent: isFinalRefusal(e) }
  }

  await inTransaction(ctx.db, async (trx) => {
    if (queued) {
      const lifetime = ctx.domain.schedule.lifetimeSeconds
      for (const [domain, recipients] of recipientsByDomain(forwardTo)) {
        await enqueueOutbox(trx, {
          account: job.account,
          messageRowId: job.message_row_id,
          recipientDomain: domain,
          recipients,
          placeholder: queued.message,
          dpopKey: { privateJwk: queued.key.privateJwk, publicJwk: queued.key.publicJwk },
          // The forwarded message names the origin's resources: the forwarder holds none of them.
          contentIds: [],
          holdUntil: now,
          state: 'queued',
          now,
          lifetimeSeconds: lifetime,
        })
        for (const recipient of recipients) {
          await recordDeliveryStatus(trx, { messageRowId: job.message_row_id, recipient, state: 'queued' })
        }
      }
      await endAttempt(trx, 'forward_jobs', job, { state: 'done' }, now)
      return
    }
    const reason = failure?.reason ?? 'auto-forward failed'
    const attempts = job.attempts + 1
    if (failure?.permanent || now >= job.expires_at) {
      await endAttempt(trx, 'forward_jobs', job, { state: 'failed', error: reason }, now)
      // The message was not forwarded: this mailbox keeps it after all and fetches its content itself.
      const received = storedPlaceholder(job.placeholder, `forward job ${job.id}'s placeholder`)
      const queuedFetches = await queueFetchJobs(trx, {
        account: job.account,
        messageRowId: job.message_row_id,
        messageId: messageIdOf(received),
        originDomain: domainOf(readMessage(received).from.address),
        message: received,
        now,
        lifetime: ctx.domain.schedule.lifetimeSeconds,
      })
      await setContentState(trx, {
        id: job.message_row_id,
        contentState: queuedFetches > 0 ? 'arriving' : 'complete',
        reason: `not forwarded: ${reason}`,
      })
      return
    }
    const nextAttemptAt = Math.min(now + ctx.domain.schedule.retryDelaySeconds(attempts), job.expires_at)
    await endAttempt(trx, 'forward_jobs', job, { state: 'retry', error: reason, nextAttemptAt }, now)
  })
  const line = { job: job.id, account: job.account, to: forwardTo, attempts: job.attempts + 1 }
  if (queued) ctx.logger.info(line, 'forward queued')
  else
    ctx.logger.warn(
      { ...line, reason: failure?.reason, permanent: failure?.permanent },
      'forward attempt failed',
    )
  ctx.federation.wake()
}

/** OAuth error codes that say "not now" rather than "no" (RFC 6749 §5.2, RFC 8628 §3.5). */
const TRANSIENT_CODES = new Set(['temporarily_unavailable', 'server_error', 'slow_down', 'network_error'])

/**
 * Whether the AS's refusal of a forward exchange is final: decided by the HTTP status and the stable
 * `error` code only, never by the text. The AS answering 4xx with a refusal code (policy, unknown user)
 * is final; an unreachable AS, 5xx, 408/429 or a "not now" code is retried; so is any fault of ours.
 */
export function isFinalRefusal(e: unknown): boolean {
  if (e instanceof TokenExchangeError)
    return e.status !== 0 && !isTransientStatus(e.status) && !TRANSIENT_CODES.has(e.error)
  // A completed check of the message itself (malformed, not forwardable) is final; discovery is not.
  return isProtocolError(e) && e.code !== 'discovery_failed'
}
