import {
  deleteMessages,
  getMailbox,
  getMessageRows,
  listMessages,
  listThreads,
  mailboxMessageIds,
  moveMessages,
  restoreMessages,
  searchMessages,
  setKeywords,
  threadMessages,
} from '@federizer/store'
import { z } from 'zod'
import { messageViews } from '../message-view.ts'
import { idsSchema, rowIdSchema } from '../schemas.ts'
import { authedProcedure, router } from '../trpc.ts'

const keywordSchema = z
  .string()
  .regex(/^\$?[A-Za-z0-9_-]{1,64}$/, 'a keyword is $seen, $flagged, $answered, $forwarded or 1-64 letters')
const keywordsSchema = z.array(keywordSchema).max(20)

/** The most messages one "all in this folder" change touches; a bigger folder takes a second click. */
const MAX_FOLDER_BULK = 5000

/** Messages of the signed-in account (JMAP-like: list, get, set keywords, move, destroy). @see RFC 8621 §4 */
export const messageRouter = router({
  list: authedProcedure
    .input(
      z.object({
        mailboxId: rowIdSchema,
        cursor: z.string().max(200).optional(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      await getMailbox(ctx.api.db, ctx.user.account, input.mailboxId)
      return listMessages(ctx.api.db, { account: ctx.user.account, ...input })
    }),
  /** Batch read: placeholders with inline text / HTML, resources, delivery status. Unknown ids are listed in notFound. */
  get: authedProcedure.input(z.object({ ids: idsSchema })).query(async ({ ctx, input }) => {
    const rows = await getMessageRows(ctx.api.db, ctx.user.account, [...new Set(input.ids)])
    const found = new Set(rows.map((r) => r.id))
    return {
      messages: await messageViews(ctx.api, ctx.user.account, rows),
      notFound: input.ids.filter((id) => !found.has(id)),
    }
  }),
  setKeywords: authedProcedure
    .input(
      z
        .object({ ids: idsSchema, add: keywordsSchema.default([]), remove: keywordsSchema.default([]) })
        .refine((v) => v.add.length + v.remove.length > 0, 'add or remove at least one keyword'),
    )
    .mutation(async ({ ctx, input }) => {
      await setKeywords(ctx.api.db, ctx.user.account, input)
      return { ok: true as const }
    }),
  move: authedProcedure
    .input(z.object({ ids: idsSchema, mailboxId: rowIdSchema }))
    .mutation(async ({ ctx, input }) => {
      await moveMessages(ctx.api.db, ctx.user.account, input)
      return { ok: true as const }
    }),
  /** Delete: outside Trash the messages move to Trash; in Trash they are destroyed for good. */
  destroy: authedProcedure
    .input(z.object({ ids: idsSchema }))
    .mutation(({ ctx, input }) => deleteMessages(ctx.api.db, ctx.user.account, input.ids)),
  /** Moves messages out of Trash back to where they were. */
  restore: authedProcedure.input(z.object({ ids: idsSchema })).mutation(async ({ ctx, input }) => {
    await restoreMessages(ctx.api.db, ctx.user.account, input.ids)
    return { ok: true as const }
  }),
  search: authedProcedure
    .input(
      z.object({
        query: z.string().trim().min(1, 'type something to search for').max(500),
        mailboxId: rowIdSchema.optional(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      if (input.mailboxId) await getMailbox(ctx.api.db, ctx.user.account, input.mailboxId)
      return searchMessages(ctx.api.db, { account: ctx.user.account, ...input })
    }),
  /** One page of a mailbox grouped by conversation (thread), newest conversation first. */
  threads: authedProcedure
    .input(
      z.object({
        mailboxId: rowIdSchema,
        cursor: z.string().max(400).optional(),
        limit: z.number().int().min(1).max(100).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      await getMailbox(ctx.api.db, ctx.user.account, input.mailboxId)
      return listThreads(ctx.api.db, { account: ctx.user.account, ...input })
    }),
  /**
   * "All N in this folder": one change applied on the server to every message of a mailbox (up to
   * MAX_FOLDER_BULK). Answers the ids it touched and, of those, `flipped`: the ones whose state really
   * changed (a keyword change skips messages that already had it), so one undo restores exactly them.
   */
  bulkInMailbox: authedProcedure
    .input(
      z.object({
        mailboxId: rowIdSchema,
        action: z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('move'), mailboxId: rowIdSchema }),
          z
            .object({
              kind: z.literal('setKeywords'),
              add: keywordsSchema.default([]),
              remove: keywordsSchema.default([]),
            })
            .refine((v) => v.add.length + v.remove.length > 0, 'add or remove at least one keyword'),
          z.object({ kind: z.literal('destroy') }),
        ]),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.api
      const account = ctx.user.account
      await getMailbox(db, account, input.mailboxId)
      const ids = await mailboxMessageIds(db, account, input.mailboxId, MAX_FOLDER_BULK)
      if (ids.length === 0) return { ids, flipped: ids }
      const a = input.action
      if (a.kind === 'setKeywords')
        return { ids, flipped: await setKeywords(db, account, { ids, add: a.add, remove: a.remove }) }
      if (a.kind === 'move') await moveMessages(db, account, { ids, mailboxId: a.mailboxId })
      else await deleteMessages(db, account, ids)
      return { ids, flipped: ids }
    }),
  thread: authedProcedure
    .input(z.object({ threadId: z.string().min(1).max(998) }))
    .query(({ ctx, input }) => threadMessages(ctx.api.db, ctx.user.account, input.threadId)),
})
