import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server'
import { accountRouter, contactsRouter, healthProcedure, resourceRouter } from './routers/account.ts'
import { draftRouter } from './routers/draft.ts'
import { mailboxRouter } from './routers/mailbox.ts'
import { messageRouter } from './routers/message.ts'
import { sendRouter } from './routers/send.ts'
import { settingsRouter } from './routers/settings.ts'
import { syncRouter } from './routers/sync.ts'
import { router } from './trpc.ts'

/** The webmail's whole API; import `type AppRouter` only (the web app never bundles server code). */
export const appRouter = router({
  health: healthProcedure,
  account: accountRouter,
  mailbox: mailboxRouter,
  message: messageRouter,
  draft: draftRouter,
  send: sendRouter,
  sync: syncRouter,
  settings: settingsRouter,
  contacts: contactsRouter,
  resource: resourceRouter,
})

export type AppRouter = typeof appRouter
export type RouterInputs = inferRouterInputs<AppRouter>
export type RouterOutputs = inferRouterOutputs<AppRouter>
