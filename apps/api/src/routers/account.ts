import {
  accountHasResource,
  findUser,
  getAutoForwardSettings,
  getConversationView,
  InvalidInputError,
  NotFoundError,
  setAutoForward,
  setConversationView,
  suggestContacts,
} from '@federizer/store'
import { z } from 'zod'
import { signTicket, TICKET_TTL_SECONDS } from '../http/tickets.ts'
import { addressSchema, contentIdSchema } from '../schemas.ts'
import { authedProcedure, publicProcedure, router } from '../trpc.ts'

export const healthProcedure = publicProcedure.query(() => ({ ok: true as const }))

export const accountRouter = router({
  me: authedProcedure.query(async ({ ctx }) => {
    const user = await findUser(ctx.api.db, ctx.user.email).catch(() => undefined)
    return { email: ctx.user.email, name: user?.name ?? null, domain: ctx.api.config.domain }
  }),
})

export const settingsRouter = router({
  get: authedProcedure.query(async ({ ctx }) => {
    const user = await findUser(ctx.api.db, ctx.user.email).catch(() => undefined)
    const forward = await getAutoForwardSettings(ctx.api.db, ctx.user.account)
    return {
      autoForward: forward?.to ?? null,
      /** Whether this mailbox keeps (and fetches) its own copy of the mail it forwards. */
      keepCopy: forward?.keepCopy ?? true,
      forwardPolicy: user?.forwardPolicy ?? 'allowed',
      forwardDomains: user?.forwardDomains ?? [],
      /** The message list groups by conversation. */
      conversationView: await getConversationView(ctx.api.db, ctx.user.account),
    }
  }),
  setConversationView: authedProcedure
    .input(z.object({ on: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      await setConversationView(ctx.api.db, ctx.user.account, input.on)
      return { conversationView: input.on }
    }),
  /**
   * Sets (or, with null or [], turns off) auto-forwarding; the AS enforces the user's forwarding policy.
   * With keepCopy (the default) the mailbox also keeps and fetches its own copy.
   */
  setAutoForward: authedProcedure
    .input(
      z.object({
        to: z.array(addressSchema.shape.address).max(20).nullable(),
        keepCopy: z.boolean().default(true),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const self = ctx.user.account
      if (input.to?.some((a) => a.toLowerCase() === self)) {
        throw new InvalidInputError('you cannot auto-forward to yourself')
      }
      await setAutoForward(ctx.api.db, self, input.to, { keepCopy: input.keepCopy })
      const forward = await getAutoForwardSettings(ctx.api.db, self)
      return { autoForward: forward?.to ?? null, keepCopy: forward?.keepCopy ?? input.keepCopy }
    }),
})

export const contactsRouter = router({
  suggest: authedProcedure
    .input(z.object({ prefix: z.string().max(320), limit: z.number().int().min(1).max(50).default(10) }))
    .query(({ ctx, input }) => suggestContacts(ctx.api.db, ctx.user.account, input.prefix, input.limit)),
})

export const resourceRouter = router({
  /** A short-lived signed link, so the browser can download with a plain `<a href>`. */
  downloadUrl: authedProcedure
    .input(
      z.object({
        contentId: contentIdSchema,
        filename: z.string().min(1).max(255).optional(),
        mediaType: z.string().max(255).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (!(await accountHasResource(ctx.api.db, ctx.user.account, input.contentId))) {
        throw new NotFoundError(`resource ${input.contentId} is not in your mailbox`)
      }
      const expiresAt = ctx.api.now() + TICKET_TTL_SECONDS
      const ticket = signTicket(ctx.api.ticketSecret, {
        a: ctx.user.account,
        c: input.contentId,
        e: expiresAt,
        ...(input.filename ? { f: input.filename } : {}),
        ...(input.mediaType ? { t: input.mediaType } : {}),
      })
      return {
        url: `${ctx.api.config.apiUrl}/resources/${input.contentId}?ticket=${encodeURIComponent(ticket)}`,
        expiresAt,
      }
    }),
})
