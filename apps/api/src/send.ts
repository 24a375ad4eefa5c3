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
  commitSend,
  type DraftForSend,
  draftForSend,
  formatBytes,
  getUserPrefs,
  indexPlaceholder,
  inTransaction,
  type SendDelivery,
  StoreError,
  saveDraft,
  unsendToDraft,
} from '@federizer/store'
import type { AuthUser } from './auth.ts'
import type { ApiContext } from './context.ts'
import { composeForm } from './draft-save.ts'
import { DraftSavedError, SendRefusedError, toTrpcError } from './errors.ts'
import type { DraftInput } from './schemas.ts'

/** The AS error codes that mean "this user may not send this" rather than "the AS is unwell". */
const REFUSALS = new Set([
  'invalid_grant',
  'access_denied',
  'invalid_request',
  'invalid_target',
  'unauthorized_client',
])

/**
 * Obtains one hop assertion per recipient domain (each bound to a fresh DPoP key, RFC 9449), exchanging
 * the user's access token at the domain's AS as the MTA client (RFC 8693 + RFC 7523).
 */
async function obtainAssertions(
  ctx: ApiContext,
  user: AuthUser,
  sealed: PlaceholderMessage,
  signedHeaders: ReturnType<typeof ehHeaders>,
): Promise<SendDelivery[]> {
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

/** A message sealed, checked against the size limit and signed for each recipient domain: ready to commit. */
interface PreparedSend {
  sealed: PlaceholderMessage
  deliveries: SendDelivery[]
  ix: ReturnType<typeof indexPlaceholder>
  holdUntil: number
  now: number
}

/**
 * Seals `draft` (Date, Recipients-Digest, Body-Digest), checks the per-message limit before the AS signs
 * anything, and obtains the assertions. Writes nothing.
 */
async function prepareSend(
  ctx: ApiContext,
  user: AuthUser,
  draft: PlaceholderMessage,
): Promise<PreparedSend> {
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
  const deliveries = await obtainAssertions(ctx, user, sealed, signedHeaders)
  const holdUntil =
    now + ((await getUserPrefs(ctx.db, user.account)).undoSendSeconds ?? ctx.config.undoSendSeconds)
  return { sealed, deliveries, ix, holdUntil, now }
}

/** What `send.submit` answers: the sent message's row id, its Message-ID, and the end of its undo window. */
export interface SendAnswer {
  messageId: string
  messageIdHeader: string
  holdUntil: number
}

const sendAnswer = (messageId: string, prepared: PreparedSend): SendAnswer => ({
  messageId,
  messageIdHeader: prepared.ix.messageId,
  holdUntil: prepared.holdUntil,
})

/** `commitSend`'s input for draft `read` sent as `prepared`. */
function sendWrites(ctx: ApiContext, account: string, read: DraftForSend, prepared: PreparedSend) {
  const { ix } = prepared
  return {
    account,
    read,
    sealed: prepared.sealed,
    deliveries: prepared.deliveries,
    contentIds: ix.resources.map((r) => r.contentId),
    contacts: [...ix.to, ...ix.cc, ...ix.bcc],
    holdUntil: prepared.holdUntil,
    now: prepared.now,
    lifetimeSeconds: ctx.domain.schedule.lifetimeSeconds,
  }
}

/**
 * Committed: wakes the gateway's MTA (its poll would find the rows too, only later); in this process
 * when it runs on the same domain context, else through the file it watches.
 */
async function wakeMta(ctx: ApiContext, account: string, prepared: PreparedSend): Promise<void> {
  const inProcess = ctx.domain.outboxWakers
  const domains = prepared.deliveries.map((d) => d.domain)
  for (const wake of inProcess) wake(domains)
  const unsignalled = inProcess.size > 0 ? undefined : await signalQueued(ctx.config)
  if (unsignalled)
    ctx.logger.warn({ err: unsignalled }, 'could not wake the MTA; it will find the mail on its next poll')
  ctx.logger.info(
    { account, messageId: prepared.ix.messageId, domains, holdUntil: prepared.holdUntil },
    'message queued',
  )
}

/**
 * Sends draft `draftId`: seals it and obtains the assertions (`prepareSend`), then in ONE transaction
 * moves it to Sent (Bcc kept in this copy) and queues one outbox row per recipient domain, held for the
 * undo window (`commitSend`). Own-domain recipients are queued like any other (the MTA delivers them
 * through the same path). A failure before the transaction leaves the draft untouched.
 */
export async function submitDraft(ctx: ApiContext, user: AuthUser, draftId: string): Promise<SendAnswer> {
  const account = user.account
  const read = await draftForSend(ctx.db, account, draftId)
  const prepared = await prepareSend(ctx, user, read.draft)
  await commitSend(ctx.db, sendWrites(ctx, account, read, prepared))
  await wakeMta(ctx, account, prepared)
  return sendAnswer(draftId, prepared)
}

/**
 * Sends the compose form as it is now (`send.submit` given `draft`): composed and checked as `draft.save`
 * would save it, sealed and signed, then saved as a draft and sent in ONE transaction (one commit, one
 * fsync). A send that fails saves the draft on its own and names it (DraftSavedError): what the person
 * wrote is kept whatever failed.
 */
export async function submitForm(ctx: ApiContext, user: AuthUser, input: DraftInput): Promise<SendAnswer> {
  const draft = await composeForm(ctx, user, input)
  const { account, placeholder } = draft
  let prepared: PreparedSend
  let id: string
  try {
    prepared = await prepareSend(ctx, user, placeholder)
    id = await inTransaction(ctx.db, async (trx) => {
      const saved = await saveDraft(trx, draft)
      const read = await draftForSend(trx, account, saved.id, placeholder)
      await commitSend(trx, sendWrites(ctx, account, read, prepared))
      return saved.id
    })
  } catch (e) {
    // Nothing of the send was written: the form is saved alone (a save that fails says why itself).
    const saved = await saveDraft(ctx.db, draft)
    throw new DraftSavedError(toTrpcError(e), saved.id)
  }
  await wakeMta(ctx, account, prepared)
  return sendAnswer(id, prepared)
}

/** Cancels a sent message still in its undo window and puts the draft back in Drafts. */
export async function undoSend(
  ctx: ApiContext,
  user: AuthUser,
  messageId: string,
): Promise<{ draftId: string }> {
  await unsendToDraft(ctx.db, user.account, messageId, ctx.now())
  return { draftId: messageId }
}
