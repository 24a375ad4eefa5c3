import { deleteDraft, getMessageRow, indexPlaceholder, saveDraft } from '@federizer/store'
import { z } from 'zod'
import { composeDraft } from '../compose.ts'
import { draftInputSchema, rowIdSchema } from '../schemas.ts'
import { authedProcedure, router } from '../trpc.ts'

/** Drafts: create, or replace in place (autosave: the latest save wins, the id stays). */
export const draftRouter = router({
  save: authedProcedure.input(draftInputSchema).mutation(async ({ ctx, input }) => {
    const { db } = ctx.api
    const account = ctx.user.account
    const existing = input.id ? await getMessageRow(db, account, input.id) : undefined
    const { placeholder, text, small } = await composeDraft(ctx.api, ctx.user, input, existing)
    const { id } = await saveDraft(db, { account, id: input.id, placeholder, text: text ?? '', small })
    return { id, messageIdHeader: indexPlaceholder(placeholder).messageId }
  }),
  delete: authedProcedure.input(z.object({ id: rowIdSchema })).mutation(async ({ ctx, input }) => {
    await deleteDraft(ctx.api.db, ctx.user.account, input.id)
    return { ok: true as const }
  }),
})
