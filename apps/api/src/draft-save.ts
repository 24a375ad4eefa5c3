import { getMessageRow, indexPlaceholder, saveDraft } from '@federizer/store'
import type { AuthUser } from './auth.ts'
import { composeDraft } from './compose.ts'
import type { ApiContext } from './context.ts'
import type { DraftInput } from './schemas.ts'

/**
 * The compose form as `saveDraft` takes it: composed and checked against what the account may attach
 * (`composeDraft`), keeping draft `input.id`'s place when it names one. `draft.save` saves it alone,
 * `send.submit` saves and sends it (send.ts `submitForm`).
 */
export async function composeForm(ctx: ApiContext, user: AuthUser, input: DraftInput) {
  const account = user.account
  const existing = input.id ? await getMessageRow(ctx.db, account, input.id) : undefined
  const { placeholder, text, small } = await composeDraft(ctx, user, input, existing)
  return { account, id: input.id, placeholder, text: text ?? '', small }
}

/**
 * Saves the compose form as draft `input.id` (replaced in place: the latest save wins, the id stays) or
 * as a new draft (`draft.save`).
 */
export async function saveDraftInput(
  ctx: ApiContext,
  user: AuthUser,
  input: DraftInput,
): Promise<{ id: string; messageIdHeader: string }> {
  const draft = await composeForm(ctx, user, input)
  const { id } = await saveDraft(ctx.db, draft)
  return { id, messageIdHeader: indexPlaceholder(draft.placeholder).messageId }
}
