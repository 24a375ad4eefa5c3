import { DatabaseUnavailableError } from '@federizer/store'
import { initTRPC } from '@trpc/server'
import { type AuthUser, authenticate } from './auth.ts'
import type { ApiContext } from './context.ts'
import { DraftSavedError, toTrpcError } from './errors.ts'

/** Per-request context: the server's one ApiContext plus what the request brought. */
export interface RequestContext {
  api: ApiContext
  authorization: string | undefined
}

const t = initTRPC.context<RequestContext>().create({
  isDev: false,
  errorFormatter({ shape, error }) {
    // Never a stack or an internal message to the client.
    const data = {
      code: shape.data.code,
      httpStatus: shape.data.httpStatus,
      path: shape.data.path,
      // The one stable code of an outage at every edge (issue 13), beside tRPC's SERVICE_UNAVAILABLE.
      ...(error.cause instanceof DatabaseUnavailableError ? { error: 'temporarily_unavailable' } : {}),
      ...(error instanceof DraftSavedError ? { draftId: error.draftId } : {}),
    }
    const message = error.code === 'INTERNAL_SERVER_ERROR' ? 'internal error' : shape.message
    return { ...shape, message, data }
  },
})

export const router = t.router

/** Translates domain errors once, and logs the unexpected ones. */
const translate = t.middleware(async ({ ctx, next, path }) => {
  const result = await next()
  if (result.ok) return result
  const err = result.error
  // Errors thrown as TRPCError (and zod's BAD_REQUEST) already carry their code.
  if (err.code !== 'INTERNAL_SERVER_ERROR' || err.cause === undefined) return result
  const mapped = toTrpcError(err.cause)
  if (mapped.code === 'INTERNAL_SERVER_ERROR')
    ctx.api.logger.error({ err: err.cause, path }, 'procedure failed')
  throw mapped
})

export const publicProcedure = t.procedure.use(translate)

/** Requires a valid access token of the domain's AS; adds `user` to the context. */
export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  let user: AuthUser
  try {
    user = await authenticate(ctx.api, ctx.authorization)
  } catch (e) {
    throw toTrpcError(e)
  }
  return next({ ctx: { ...ctx, user } })
})
