import {
  blockSender,
  changePassword,
  findUser,
  getConversationView,
  getForwarding,
  getUserPrefs,
  getVacation,
  InvalidInputError,
  listBlockedSenders,
  setAutoForward,
  setConversationView,
  setDisplayName,
  setUserPrefs,
  setVacation,
  UserError,
  unblockSender,
  WrongPasswordError,
} from '@federizer/store'
import { TRPCError } from '@trpc/server'
import { z } from 'zod'
import { checkForwardTargets } from '../forward-check.ts'
import { addressSchema } from '../schemas.ts'
import { authedProcedure, router } from '../trpc.ts'

const emailSchema = addressSchema.shape.address

const prefsSchema = z
  .object({
    signatures: z.record(emailSchema, z.string().max(10_000)),
    undoSendSeconds: z.number().int().min(0).max(30).nullable(),
    readingPane: z.enum(['right', 'bottom', 'off']),
    density: z.enum(['comfortable', 'compact']),
    remoteContent: z.enum(['ask', 'contacts', 'never']),
  })
  .partial()

const vacationSchema = z
  .object({
    enabled: z.boolean(),
    subject: z.string().trim().min(1, 'the reply needs a subject').max(200),
    text: z.string().max(10_000),
    startsAt: z.number().int().nonnegative().nullable(),
    endsAt: z.number().int().nonnegative().nullable(),
    periodDays: z.number().int().min(1).max(60),
  })
  .refine((v) => !v.enabled || v.text.trim().length > 0, {
    message: 'write the reply text before turning the auto-reply on',
    path: ['text'],
  })
  .refine((v) => v.startsAt === null || v.endsAt === null || v.endsAt > v.startsAt, {
    message: 'the last day must come after the first day',
    path: ['endsAt'],
  })

/** `alice@example.org` or `@example.org` / `*@example.org` (everyone at a domain). */
const blockEntrySchema = z
  .string()
  .trim()
  .max(320)
  .refine((e) => /^(\*?@[^\s@]+\.[^\s@]+|[^\s@]+@[^\s@]+\.[^\s@]+)$/.test(e), {
    message: 'enter an address (name@example.com) or a whole domain (@example.com)',
  })

export const settingsRouter = router({
  get: authedProcedure.query(async ({ ctx }) => {
    const account = ctx.user.account
    const user = await findUser(ctx.api.db, ctx.user.email).catch(() => undefined)
    const forward = await getForwarding(ctx.api.db, account)
    return {
      /** The forwarding addresses, kept while forwarding is switched off. */
      autoForward: forward.to.length ? forward.to : null,
      /** Whether mail is forwarded to them now. */
      forwardEnabled: forward.enabled,
      /** Whether this mailbox keeps (and fetches) its own copy of the mail it forwards. */
      keepCopy: forward.keepCopy,
      forwardPolicy: user?.forwardPolicy ?? 'allowed',
      forwardDomains: user?.forwardDomains ?? [],
      displayName: user?.name ?? '',
      /** The addresses this user can send from (one today: the account). */
      identities: [ctx.user.email],
      prefs: await getUserPrefs(ctx.api.db, account),
      /** The undo-send delay of this domain, used while prefs.undoSendSeconds is null. */
      undoSendDefault: ctx.api.config.undoSendSeconds,
      blocked: await listBlockedSenders(ctx.api.db, account),
      vacation: await getVacation(ctx.api.db, account),
      /** The message list groups by conversation. */
      conversationView: await getConversationView(ctx.api.db, account),
    }
  }),
  setConversationView: authedProcedure
    .input(z.object({ on: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      await setConversationView(ctx.api.db, ctx.user.account, input.on)
      return { conversationView: input.on }
    }),
  /**
   * Sets auto-forwarding: `enabled: false` switches it off and keeps the addresses (null or [] clears
   * them). Each target's domain must be discoverable when forwarding is on (docs/protocol.md §5); the AS
   * still enforces the user's forwarding policy at each forward.
   */
  setAutoForward: authedProcedure
    .input(
      z.object({
        to: z.array(emailSchema).max(20).nullable(),
        keepCopy: z.boolean().default(true),
        enabled: z.boolean().default(true),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const self = ctx.user.account
      if (input.to?.some((a) => a.toLowerCase() === self)) {
        throw new InvalidInputError('you cannot auto-forward to yourself')
      }
      if (input.enabled && input.to?.length) await checkForwardTargets(ctx.api, input.to)
      await setAutoForward(ctx.api.db, self, input.to, { keepCopy: input.keepCopy, enabled: input.enabled })
      const forward = await getForwarding(ctx.api.db, self)
      return {
        autoForward: forward.to.length ? forward.to : null,
        forwardEnabled: forward.enabled,
        keepCopy: forward.keepCopy,
      }
    }),
  /** Merges webmail preferences (signatures, undo-send delay, layout, density, remote content). */
  setPrefs: authedProcedure.input(prefsSchema).mutation(async ({ ctx, input }) => {
    const foreign = Object.keys(input.signatures ?? {}).filter((a) => a.toLowerCase() !== ctx.user.account)
    if (foreign.length) throw new InvalidInputError(`${foreign.join(', ')} is not one of your addresses`)
    return setUserPrefs(ctx.api.db, ctx.user.account, input)
  }),
  /** The name shown with the user's address in the From of their mail. */
  setDisplayName: authedProcedure
    .input(
      z.object({
        name: z
          .string()
          .max(200)
          .refine((n) => !/[\r\n<>"]/.test(n), 'a name cannot contain line breaks, <, > or "'),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await setDisplayName(ctx.api.db, ctx.user.email, input.name)
      return { displayName: input.name.trim() }
    }),
  block: authedProcedure.input(z.object({ entry: blockEntrySchema })).mutation(async ({ ctx, input }) => {
    if (input.entry.toLowerCase() === ctx.user.account)
      throw new InvalidInputError('you cannot block yourself')
    await blockSender(ctx.api.db, ctx.user.account, input.entry)
    return { blocked: await listBlockedSenders(ctx.api.db, ctx.user.account) }
  }),
  unblock: authedProcedure.input(z.object({ entry: blockEntrySchema })).mutation(async ({ ctx, input }) => {
    await unblockSender(ctx.api.db, ctx.user.account, input.entry)
    return { blocked: await listBlockedSenders(ctx.api.db, ctx.user.account) }
  }),
  /** Stores the vacation auto-reply (RFC 3834); docs/architecture.md "User settings" says what is built. */
  setVacation: authedProcedure.input(vacationSchema).mutation(async ({ ctx, input }) => {
    await setVacation(ctx.api.db, ctx.user.account, input)
    return getVacation(ctx.api.db, ctx.user.account)
  }),
  /**
   * Changes the password at the domain's AS user store: the current one is required; every other
   * sign-in (AS sessions, refresh-token families) is revoked, the caller's own refresh family is kept.
   */
  changePassword: authedProcedure
    .input(
      z.object({
        current: z.string().min(1, 'enter your current password').max(1024),
        next: z.string().min(8, 'the new password must be at least 8 characters').max(1024),
        refreshToken: z.string().max(512).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      try {
        const { revokedFamilies } = await changePassword(ctx.api.db, {
          email: ctx.user.email,
          current: input.current,
          next: input.next,
          keepRefreshToken: input.refreshToken,
          now: ctx.api.now(),
        })
        ctx.api.logger.info({ account: ctx.user.account, revokedFamilies }, 'password changed')
        return { signedOutElsewhere: revokedFamilies }
      } catch (e) {
        if (e instanceof WrongPasswordError)
          throw new TRPCError({ code: 'FORBIDDEN', message: 'your current password is not right' })
        if (e instanceof UserError) throw new TRPCError({ code: 'BAD_REQUEST', message: e.message })
        throw e
      }
    }),
})
