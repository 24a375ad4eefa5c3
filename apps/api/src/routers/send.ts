import { z } from 'zod'
import { cancelDelivery, retryDelivery } from '../delivery.ts'
import { draftInputSchema, rowIdSchema } from '../schemas.ts'
import { submitDraft, submitForm, undoSend } from '../send.ts'
import { authedProcedure, router } from '../trpc.ts'

/** Send with an undo window held on the server (docs/protocol.md §4, send mode). */
export const sendRouter = router({
  /**
   * Sends a saved draft (`draftId`), or the compose form as it is now (`draft`): saved as `draft.save`
   * saves it and sent, in one request and one transaction. A send that fails still saves the draft and
   * names it in the error (`data.draftId`).
   */
  submit: authedProcedure
    .input(z.union([z.strictObject({ draftId: rowIdSchema }), z.strictObject({ draft: draftInputSchema })]))
    .mutation(async ({ ctx, input }) => {
      if ('draftId' in input) return submitDraft(ctx.api, ctx.user, input.draftId)
      return submitForm(ctx.api, ctx.user, input.draft)
    }),
  undo: authedProcedure
    .input(z.object({ messageId: rowIdSchema }))
    .mutation(({ ctx, input }) => undoSend(ctx.api, ctx.user, input.messageId)),
  /** Attempts the retrying or failed deliveries of a sent message now. */
  retry: authedProcedure
    .input(z.object({ messageId: rowIdSchema }))
    .mutation(({ ctx, input }) => retryDelivery(ctx.api, ctx.user, input.messageId)),
  /** Stops the retrying or failed deliveries of a sent message. */
  cancel: authedProcedure
    .input(z.object({ messageId: rowIdSchema }))
    .mutation(({ ctx, input }) => cancelDelivery(ctx.api, ctx.user, input.messageId)),
})
