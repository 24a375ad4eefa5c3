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
  draftForSend,
  formatBytes,
  getUserPrefs,
  indexPlaceholder,
  type SendDelivery,
  StoreError,
  unsendToDraft,
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

/**
 * Sends draft `draftId`: seals it (Date, Recipients-Digest, Body-Digest), obtains the assertions, then in
 * ONE transaction moves it to Sent (Bcc kept in this copy) and queues one outbox row per recipient
 * domain, held for the undo window (`commitSend`). Own-domain recipients are queued like any other (the
 * MTA delivers them through the same path). A failure before the transaction leaves the draft untouched.
 */
export async function submitDraft(
  ctx: ApiContext,
  user: AuthUser,
  draftId: string,
): Promise<{ messageId: string; messageIdHeader: string; holdUntil: number }> {
  const { db } = ctx
  const account = user.account
  const read = await draftForSend(db, account, draftId)
  const now = ctx.now()
  const { message: sealed, eh } = sealForSend(read.draft, { date: new Date(now * 1000) })
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
  await commitSend(db, {
    account,
    read,
    sealed,
    deliveries,
    contentIds: ix.resources.map((r) => r.contentId),
    contacts: [...ix.to, ...ix.cc, ...ix.bcc],
    holdUntil,
    now,
    lifetimeSeconds: ctx.domain.schedule.lifetimeSeconds,
  })
  // Committed: wake the gateway's MTA (its poll would find the rows too, only later); in this process
  // when it runs on the same domain context, else through the file it watches.
  const inProcess = ctx.domain.outboxWakers
  const domains = deliveries.map((d) => d.domain)
  for (const wake of inProcess) wake(domains)
  const unsignalled = inProcess.size > 0 ? undefined : await signalQueued(ctx.config)
  if (unsignalled)
    ctx.logger.warn({ err: unsignalled }, 'could not wake the MTA; it will find the mail on its next poll')
  ctx.logger.info({ account, messageId: ix.messageId, domains, holdUntil }, 'message queued')
  return { messageId: draftId, messageIdHeader: ix.messageId, holdUntil }
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
