import { signalQueued } from '@federizer/node'
import {
  createDpopKey,
  ehHeaders,
  originalHeaders,
  originalRecipients,
  type PlaceholderMessage,
  pushAssertion,
  recipientsByDomain,
  sealForSend,
  TokenExchangeError,
  withoutBcc,
} from '@federizer/protocol'
import {
  allocateModseq,
  ConflictError,
  cancelHeldOutbox,
  enqueueOutbox,
  formatBytes,
  getMessageRow,
  getUserPrefs,
  indexPlaceholder,
  inTransaction,
  type MessageRow,
  mailboxByRole,
  recordDeliveryStatus,
  rememberContacts,
  StoreError,
} from '@federizer/store'
import type { AuthUser } from './auth.ts'
import type { ApiContext } from './context.ts'
import { SendRefusedError } from './errors.ts'

/** The AS error codes that mean "this user may not send this" rather than "the AS is unwell". */
const REFUSALS = new Set([
  'invalid_grant',
  'access_denied',
  'invalid_request',
  'invalid_target',
  'unauthorized_client',
])

interface DomainDelivery {
  domain: string
  recipients: string[]
  placeholder: PlaceholderMessage
  dpopKey: { privateJwk: unknown; publicJwk: unknown }
}

/**
 * Obtains one hop assertion per recipient domain (each bound to a fresh DPoP key, RFC 9449), exchanging
 * the user's access token at the domain's AS as the MTA client (RFC 8693 + RFC 7523).
 */
async function obtainAssertions(
  ctx: ApiContext,
  user: AuthUser,
  sealed: PlaceholderMessage,
  signedHeaders: ReturnType<typeof ehHeaders>,
): Promise<DomainDelivery[]> {
  const byDomain = recipientsByDomain(originalRecipients(sealed))
  const delivered = withoutBcc(sealed)
  return Promise.all(
    [...byDomain].map(async ([domain, recipients]) => {
      const dpopKey = await createDpopKey()
      let token: string
      try {
        ;({ token } = await ctx.domain.mtaTokens.exchange({
          dpopKey,
          subjectToken: user.accessToken,
          subjectTokenType: 'access_token',
          requestedTokenType: 'jwt',
          headers: signedHeaders,
        }))
      } catch (e) {
        if (e instanceof TokenExchangeError) {
          const refused = REFUSALS.has(e.error)
          ctx.logger.warn({ error: e.error, status: e.status, domain }, 'send: token exchange refused')
          throw new SendRefusedError(
            refused ? 'refused' : 'unreachable',
            refused
              ? `your authorization server refused to sign this message: ${e.errorDescription ?? e.error}`
              : `your authorization server could not sign this message right now (${e.error}); the draft is kept, try again`,
            { cause: e },
          )
        }
        throw e
      }
      return { domain, recipients, placeholder: pushAssertion(delivered, token), dpopKey }
    }),
  )
}

/**
 * Sends draft `draftId`: seals it (Date, Recipients-Digest, Body-Digest), obtains the assertions, then in
 * ONE transaction moves it to Sent (Bcc kept in this copy) and queues one outbox row per recipient
 * domain, held for the undo window. Own-domain recipients are queued like any other (the MTA delivers
 * them through the same path). A failure before the transaction leaves the draft untouched.
 */
export async function submitDraft(
  ctx: ApiContext,
  user: AuthUser,
  draftId: string,
): Promise<{ messageId: string; messageIdHeader: string; holdUntil: number }> {
  const { db } = ctx
  const account = user.account
  const row = await getMessageRow(db, account, draftId)
  const drafts = await mailboxByRole(db, account, 'drafts')
  if (row.mailbox_id !== drafts.id || row.sent_at !== null)
    throw new ConflictError(`message ${draftId} is not a draft`)
  const draft = JSON.parse(row.placeholder) as PlaceholderMessage
  const now = ctx.now()
  const { message: sealed, eh } = sealForSend(draft, { date: new Date(now * 1000) })
  const signedHeaders = ehHeaders(originalHeaders(sealed), eh.ehl)
  const ix = indexPlaceholder(sealed)
  const size = JSON.stringify(sealed).length + ix.resources.reduce((n, r) => n + r.size, 0)
  const maxMessage = ctx.config.limits.maxMessageBytes
  if (size > maxMessage)
    throw new StoreError(
      'too_large',
      `the message is ${formatBytes(size)} with its attachments; messages up to ${formatBytes(maxMessage)} can be sent`,
    )
  // The per-message limit is checked before the AS signs anything.
  const deliveries = await obtainAssertions(ctx, user, sealed, signedHeaders)
  const holdUntil = now + ((await getUserPrefs(db, account)).undoSendSeconds ?? ctx.config.undoSendSeconds)
  const contentIds = ix.resources.map((r) => r.contentId)
  await inTransaction(db, async (trx) => {
    // Re-check inside the transaction: a concurrent send or delete of the same draft loses here.
    const current = await getMessageRow(trx, account, draftId)
    if (current.mailbox_id !== drafts.id || current.sent_at !== null || current.modseq !== row.modseq) {
      throw new ConflictError(`draft ${draftId} changed while it was being sent; review it and send again`)
    }
    const sent = await mailboxByRole(trx, account, 'sent')
    const modseq = await allocateModseq(trx, account)
    await trx
      .updateTable('messages')
      .set({
        mailbox_id: sent.id,
        placeholder: JSON.stringify(sealed),
        keywords: JSON.stringify(['$seen']),
        seen: 1,
        sent_at: now,
        received_at: now,
        draft_backup: row.placeholder,
        modseq,
      })
      .where('id', '=', draftId)
      .execute()
    for (const d of deliveries) {
      await enqueueOutbox(trx, {
        account,
        messageRowId: draftId,
        recipientDomain: d.domain,
        recipients: d.recipients,
        placeholder: d.placeholder,
        dpopKey: d.dpopKey,
        contentIds,
        holdUntil,
        now,
        lifetimeSeconds: ctx.domain.schedule.lifetimeSeconds,
      })
      for (const r of d.recipients) {
        await recordDeliveryStatus(trx, { messageRowId: draftId, recipient: r, state: 'held' })
      }
    }
    await rememberContacts(trx, account, [...ix.to, ...ix.cc, ...ix.bcc], now)
  })
  // Committed: wake the gateway's MTA (its poll would find the rows too, only later).
  const unsignalled = await signalQueued(ctx.config)
  if (unsignalled)
    ctx.logger.warn({ err: unsignalled }, 'could not wake the MTA; it will find the mail on its next poll')
  ctx.logger.info(
    { account, messageId: ix.messageId, domains: deliveries.map((d) => d.domain), holdUntil },
    'message queued',
  )
  return { messageId: draftId, messageIdHeader: ix.messageId, holdUntil }
}

/** Cancels a sent message still in its undo window and puts the draft back in Drafts. */
export async function undoSend(
  ctx: ApiContext,
  user: AuthUser,
  messageId: string,
): Promise<{ draftId: string }> {
  const { db } = ctx
  return inTransaction(db, async (trx) => {
    const row: MessageRow = await getMessageRow(trx, user.account, messageId)
    if (row.sent_at === null || row.draft_backup === null) {
      throw new ConflictError(`message ${messageId} was not sent from this mailbox`)
    }
    if (!(await cancelHeldOutbox(trx, messageId, ctx.now()))) {
      throw new ConflictError(
        'too late to undo: the message has already been handed to the mail transfer agent',
      )
    }
    const drafts = await mailboxByRole(trx, user.account, 'drafts')
    const modseq = await allocateModseq(trx, user.account)
    await trx
      .updateTable('messages')
      .set({
        mailbox_id: drafts.id,
        placeholder: row.draft_backup,
        keywords: JSON.stringify(['$draft', '$seen']),
        sent_at: null,
        draft_backup: null,
        modseq,
      })
      .where('id', '=', messageId)
      .execute()
    return { draftId: messageId }
  })
}
