import { randomUUID } from 'node:crypto'
import {
  buildDraft,
  createDpopKey,
  domainOf,
  ehHeaders,
  lastAssertion,
  originalHeaders,
  type PlaceholderMessage,
  parsePlaceholderMessage,
  pushAssertion,
  readMessage,
  replyHeaders,
  sealForSend,
  withoutBcc,
} from '@federizer/protocol'
import {
  autoReplyAddress,
  claimDue,
  endAttempt,
  enqueueOutbox,
  findUser,
  getMessageRow,
  getVacation,
  indexMessageText,
  insertMessage,
  inTransaction,
  recordDeliveryStatus,
  storedJson,
  storedPlaceholder,
  type VacationJob,
  vacationJobsByIds,
} from '@federizer/store'
import type { GatewayContext } from '../context.ts'
import { isFinalRefusal } from './forward.ts'
import { errorText } from './outbox.ts'

export async function claimVacationJobs(ctx: GatewayContext, limit: number, exclude: ReadonlySet<string>) {
  const ids = await claimDue(ctx.db, 'vacation_jobs', {
    now: ctx.now(),
    limit,
    exclude,
    states: ['queued'],
    leaseSeconds: ctx.domain.schedule.leaseSeconds,
  })
  return vacationJobsByIds(ctx.db, ids)
}

/**
 * The vacation reply to `received` as a draft: From the user, To the sender alone (RFC 3834 §4: not the
 * other recipients), threaded as a reply, `Auto-Submitted: auto-replied` (RFC 3834 §5) so responders on
 * the other side never answer it. `to`: the address to answer when it is not the From (the Return-Path of
 * mail that came over SMTP, autoReplyAddress); the From's display name is kept when it is the same address.
 */
export function autoReplyDraft(
  received: PlaceholderMessage,
  input: {
    from: { name?: string; address: string }
    to?: string
    subject: string
    messageId: string
    text: { contentId: string; size: number }
  },
): PlaceholderMessage {
  const thread = replyHeaders(received)
  const sender = readMessage(received).from
  const to =
    input.to === undefined || input.to.toLowerCase() === sender.address.toLowerCase()
      ? sender
      : { address: input.to }
  const draft = buildDraft({
    from: input.from,
    to: [to],
    subject: input.subject,
    messageId: input.messageId,
    ...(thread.inReplyTo ? { inReplyTo: thread.inReplyTo } : {}),
    ...(thread.references ? { references: thread.references } : {}),
    ...(thread.threadId ? { threadId: thread.threadId } : {}),
    text: { ...input.text, mediaType: 'text/plain; charset=UTF-8' },
  })
  const [block] = draft.envelope
  if (!block || !('headers' in block)) throw new Error('the draft has no headers block')
  return parsePlaceholderMessage({
    envelope: [{ headers: [...block.headers, ['Auto-Submitted', 'auto-replied']] }],
    parts: draft.parts,
  })
}

/** Whether a stored chain verification is the SMTP listener's `{ legacy: … }` (docs/smtp-bridge.md). */
const isLegacyVerification = (v: unknown) => typeof v === 'object' && v !== null && 'legacy' in v

/**
 * Sends one vacation reply through the normal send path: the text stored first, the reply sealed and
 * signed by this domain's AS (the auto-reply exchange, presenting the received message's assertion),
 * kept in the user's Sent and queued in the outbox for the sender's domain. A message received over
 * SMTP has no assertion: its reply is queued without one and leaves over the SMTP bridge.
 */
export async function runVacationJob(
  ctx: GatewayContext,
  job: VacationJob,
  signal: AbortSignal,
): Promise<void> {
  const now = ctx.now()
  try {
    const row = await getMessageRow(ctx.db, job.account, job.message_row_id)
    const received = storedPlaceholder(row.placeholder, `message ${row.id}`)
    const subjectToken = lastAssertion(received)
    const overSmtp = isLegacyVerification(storedJson(row.chain_verification, `message ${row.id}`))
    if (!subjectToken && !overSmtp) throw new Error('the received message carries no hop assertion')
    const [vacation, user] = await Promise.all([
      getVacation(ctx.db, job.account),
      findUser(ctx.db, job.account),
    ])
    const bytes = Buffer.from(vacation.text, 'utf8')
    const text = await ctx.federation.resources.write(
      (async function* () {
        yield bytes
      })(),
      { maxBytes: bytes.length },
    )
    const to = autoReplyAddress(received, overSmtp)
    const draft = autoReplyDraft(received, {
      from: { ...(user?.name ? { name: user.name } : {}), address: job.account },
      ...(to ? { to } : {}),
      subject: vacation.subject,
      messageId: `<${randomUUID()}@${ctx.config.domain}>`,
      text,
    })
    const { message: sealed, eh } = sealForSend(draft, { date: new Date(now * 1000) })
    const recipients = readMessage(sealed).to.map((a) => a.address.toLowerCase())
    const key = await createDpopKey()
    // Mail that came over SMTP has no hop assertion to present: its reply goes back over the SMTP
    // bridge, DKIM-signed by this domain (RFC 6376), and the outbox sends a row without an assertion
    // only that way (docs/smtp-bridge.md, "Vacation replies").
    const assertion = subjectToken
      ? (
          await ctx.domain.mtaTokens.exchange({
            dpopKey: key,
            subjectToken,
            subjectTokenType: 'jwt',
            requestedTokenType: 'jwt',
            headers: ehHeaders(originalHeaders(sealed), eh.ehl),
          })
        ).token
      : undefined
    await inTransaction(ctx.db, async (trx) => {
      const sent = await insertMessage(trx, {
        account: job.account,
        mailboxRole: 'sent',
        placeholder: sealed,
        keywords: ['$seen'],
        contentState: 'complete',
        receivedAt: now,
      })
      await indexMessageText(trx, { id: sent.id, text: vacation.text })
      await enqueueOutbox(trx, {
        account: job.account,
        messageRowId: sent.id,
        recipientDomain: domainOf(recipients[0] as string),
        recipients,
        // As the api sends: Bcc and the Recipients-Key stay in the Sent copy only.
        placeholder: assertion ? pushAssertion(withoutBcc(sealed), assertion) : withoutBcc(sealed),
        dpopKey: { privateJwk: key.privateJwk, publicJwk: key.publicJwk },
        contentIds: [text.contentId],
        holdUntil: now,
        now,
        lifetimeSeconds: ctx.domain.schedule.lifetimeSeconds,
      })
      for (const recipient of recipients)
        await recordDeliveryStatus(trx, { messageRowId: sent.id, recipient, state: 'queued' })
      await endAttempt(trx, 'vacation_jobs', job, { state: 'done' }, now)
    })
    ctx.logger.info({ job: job.id, account: job.account, to: recipients }, 'vacation reply queued')
    ctx.federation.wake(['outbox'])
  } catch (e) {
    if (signal.aborted) throw e
    const reason = `vacation reply failed: ${errorText(e)}`
    const final = isFinalRefusal(e) || now >= job.expires_at
    const nextAttemptAt = Math.min(
      now + ctx.domain.schedule.retryDelaySeconds(job.attempts + 1),
      job.expires_at,
    )
    await endAttempt(
      ctx.db,
      'vacation_jobs',
      job,
      final ? { state: 'failed', error: reason } : { state: 'retry', error: reason, nextAttemptAt },
      now,
    )
    ctx.logger.warn({ job: job.id, account: job.account, reason, final }, 'vacation reply attempt failed')
  }
}
