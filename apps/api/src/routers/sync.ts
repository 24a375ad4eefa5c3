import { getChanges, getSyncState } from '@federizer/store'
import { z } from 'zod'
import { authedProcedure, router } from '../trpc.ts'

/** Polling sync in the JMAP changes model (docs/sync.md). @see RFC 8620 §5.2 */
export const syncRouter = router({
  /** The account's current state: one primary-key read, cheap to poll every few seconds. */
  state: authedProcedure.query(async ({ ctx }) => ({
    state: await getSyncState(ctx.api.db, ctx.user.account),
  })),
  changes: authedProcedure
    .input(
      z.object({
        since: z.string().regex(/^\d{1,15}$/, 'since must be a state returned by sync.state or sync.changes'),
        max: z.number().int().min(1).max(1000).default(500),
      }),
    )
    .query(({ ctx, input }) => getChanges(ctx.api.db, ctx.user.account, input.since, input.max)),
})
