import { createMailbox, listMailboxes, moveMailbox, removeMailbox, renameMailbox } from '@federizer/store'
import { z } from 'zod'
import { rowIdSchema } from '../schemas.ts'
import { authedProcedure, router } from '../trpc.ts'

const nameSchema = z.string().trim().min(1, 'a mailbox name cannot be empty').max(100)

/** Mailboxes with roles (inbox, drafts, sent, trash, archive, junk) and user folders. @see RFC 8621 §2 */
export const mailboxRouter = router({
  list: authedProcedure.query(({ ctx }) => listMailboxes(ctx.api.db, ctx.user.account)),
  create: authedProcedure
    .input(z.object({ name: nameSchema, parentId: rowIdSchema.nullable().default(null) }))
    .mutation(({ ctx, input }) => createMailbox(ctx.api.db, ctx.user.account, input.name, input.parentId)),
  /** Nests a folder inside another of the user's folders, or (null) back at the top level. */
  move: authedProcedure
    .input(z.object({ id: rowIdSchema, parentId: rowIdSchema.nullable() }))
    .mutation(async ({ ctx, input }) => {
      await moveMailbox(ctx.api.db, ctx.user.account, input.id, input.parentId)
      return { ok: true as const }
    }),
  rename: authedProcedure
    .input(z.object({ id: rowIdSchema, name: nameSchema }))
    .mutation(async ({ ctx, input }) => {
      await renameMailbox(ctx.api.db, ctx.user.account, input.id, input.name)
      return { ok: true as const }
    }),
  remove: authedProcedure.input(z.object({ id: rowIdSchema })).mutation(async ({ ctx, input }) => {
    await removeMailbox(ctx.api.db, ctx.user.account, input.id)
    return { ok: true as const }
  }),
})
