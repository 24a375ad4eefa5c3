import { deleteDraft } from '@federizer/store'
import { z } from 'zod'
import { saveDraftInput } from '../draft-save.ts'
import { draftInputSchema, rowIdSchema } from '../schemas.ts'
import { authedProcedure, router } from '../trpc.ts'

/** Drafts: create, or replace in place (autosave: the latest save wins, the id stays). */
export const draftRouter = router({
  save: authedProcedure
    .input(draftInputSchema)
    .mutation(({ ctx, input }) => saveDraftInput(ctx.api, ctx.user, input)),
  delete: authedProcedure.input(z.object({ id: rowIdSchema })).mutation(async ({ ctx, input }) => {
    await deleteDraft(ctx.api.db, ctx.user.account, input.id)
    return { ok: true as const }
  }),
})
