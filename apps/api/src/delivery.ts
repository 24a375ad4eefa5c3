import {
  ConflictError,
  cancelOutbox,
  getMessageRow,
  type OutboxActionResult,
  retryOutbox,
} from '@federizer/store'
import type { AuthUser } from './auth.ts'
import type { ApiContext } from './context.ts'

// What the sender can do about a delivery that is retrying or failed (shown in the Sent view).

const REFUSALS: Record<Exclude<OutboxActionResult, { ok: true }>['reason'], string> = {
  nothing_to_do: 'Nothing is waiting to be delivered for this message.',
  in_progress: 'A delivery attempt is running right now. Try again in a moment.',
  expired: 'This message is older than the 5 days servers accept it for. Send it again as a new message.',
}

async function run(
  ctx: ApiContext,
  user: AuthUser,
  messageId: string,
  action: typeof retryOutbox,
): Promise<{ count: number }> {
  const row = await getMessageRow(ctx.db, user.account, messageId)
  if (row.sent_at === null) throw new ConflictError('This message has not been sent.')
  const result = await action(ctx.db, { account: user.account, messageRowId: messageId, now: ctx.now() })
  if (!result.ok) throw new ConflictError(REFUSALS[result.reason])
  return { count: result.count }
}

/** "Retry now": retrying and failed deliveries of a sent message are attempted at once. */
export const retryDelivery = (ctx: ApiContext, user: AuthUser, messageId: string) =>
  run(ctx, user, messageId, retryOutbox)

/** "Cancel": retrying and failed deliveries of a sent message stop for good. */
export const cancelDelivery = (ctx: ApiContext, user: AuthUser, messageId: string) =>
  run(ctx, user, messageId, cancelOutbox)
