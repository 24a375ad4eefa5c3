import {
  accountHasResource,
  findUser,
  hasWrittenTo,
  NotFoundError,
  quotaOf,
  suggestContacts,
} from '@federizer/store'
import { z } from 'zod'
import { signTicket, TICKET_TTL_SECONDS } from '../http/tickets.ts'
import { contentIdSchema } from '../schemas.ts'
import { authedProcedure, publicProcedure, router } from '../trpc.ts'

export const healthProcedure = publicProcedure.query(() => ({ ok: true as const }))

export const accountRouter = router({
  me: authedProcedure.query(async ({ ctx }) => {
    const user = await findUser(ctx.api.db, ctx.user.email).catch(() => undefined)
    return { email: ctx.user.email, name: user?.name ?? null, domain: ctx.api.config.domain }
  }),
  /** The account's storage quota and what it uses (bytes), for the quota bar; see docs/operations.md. */
  quota: authedProcedure.query(({ ctx }) =>
    quotaOf(ctx.api.db, ctx.user.account, ctx.api.config.limits.userQuotaBytes),
  ),
})

export const contactsRouter = router({
  suggest: authedProcedure
    .input(z.object({ prefix: z.string().max(320), limit: z.number().int().min(1).max(50).default(10) }))
    .query(({ ctx, input }) => suggestContacts(ctx.api.db, ctx.user.account, input.prefix, input.limit)),
  /** Whether the user has written to `address` (the "load remote content from contacts" policy). */
  isCorrespondent: authedProcedure
    .input(z.object({ address: z.string().max(320) }))
    .query(async ({ ctx, input }) => ({
      known: await hasWrittenTo(ctx.api.db, ctx.user.account, input.address),
    })),
})

export const resourceRouter = router({
  /** A short-lived signed link, so the browser can download with a plain `<a href>`. */
  downloadUrl: authedProcedure
    .input(
      z.object({
        contentId: contentIdSchema,
        filename: z.string().min(1).max(255).optional(),
        mediaType: z.string().max(255).optional(),
        /** Open a PDF in the browser's viewer (inline disposition) instead of downloading it. */
        view: z.boolean().optional(),
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
        ...(input.view && input.mediaType === 'application/pdf' ? { i: 1 as const } : {}),
      })
      return {
        url: `${ctx.api.config.apiUrl}/resources/${input.contentId}?ticket=${encodeURIComponent(ticket)}`,
        expiresAt,
      }
    }),
})
