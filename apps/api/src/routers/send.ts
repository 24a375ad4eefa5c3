import { z } from 'zod'
import { cancelDelivery, retryDelivery } from '../delivery.ts'
import { rowIdSchema } from '../schemas.ts'
import { submitDraft, undoSend } from '../send.ts'
import { authedProcedure, router } from '../trpc.ts'

/** Send with an undo window held on the server (docs/protocol.md §4, send mode). */
export const sendRouter = router({
  submit: authedProcedure
    .input(z.object({ draftId: rowIdSchema }))
    .mutation(({ ctx, input }) => submitDraft(ctx.api, ctx.user, input.draftId)),
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
