import { getMessageRow, indexPlaceholder, saveDraft } from '@federizer/store'
import type { z } from 'zod'
import type { AuthUser } from './auth.ts'
import { composeDraft } from './compose.ts'
import type { ApiContext } from './context.ts'
import type { draftInputSchema } from './schemas.ts'

/**
 * Saves the compose form as draft `input.id` (replaced in place: the latest save wins, the id stays) or
 * as a new draft (`draft.save`).
 */
export async function saveDraftInput(
  ctx: ApiContext,
  user: AuthUser,
  input: z.infer<typeof draftInputSchema>,
): Promise<{ id: string; messageIdHeader: string }> {
  const account = user.account
  const existing = input.id ? await getMessageRow(ctx.db, account, input.id) : undefined
  const { placeholder, text, small } = await composeDraft(ctx, user, input, existing)
  const { id } = await saveDraft(ctx.db, { account, id: input.id, placeholder, text: text ?? '', small })
  return { id, messageIdHeader: indexPlaceholder(placeholder).messageId }
}
