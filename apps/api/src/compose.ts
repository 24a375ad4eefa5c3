import { randomUUID } from 'node:crypto'
import { buildDraft, htmlToIndexText, type PlaceholderMessage, type ResourceRef } from '@federizer/protocol'
import {
  accountReferencedResources,
  accountResources,
  ConflictError,
  findUser,
  keepSmall,
  type MessageRow,
  NotFoundError,
  type SmallResource,
} from '@federizer/store'
import type { AuthUser } from './auth.ts'
import type { ApiContext } from './context.ts'
import type { DraftInput } from './schemas.ts'

/**
 * A text body as a resource: up to SMALL_RESOURCE_MAX_BYTES kept for the draft's own transaction (into
 * `small`), a larger one written to the store now.
 */
async function storeBody(
  ctx: ApiContext,
  body: string,
  mediaType: string,
  small: SmallResource[],
): Promise<ResourceRef> {
  const bytes = Buffer.from(body, 'utf8')
  const kept = keepSmall(bytes, small)
  if (kept) return { ...kept, mediaType }
  async function* once() {
    yield bytes
  }
  const { contentId, size } = await ctx.resources.write(once(), {
    maxBytes: ctx.config.limits.maxResourceBytes,
  })
  return { contentId, size, mediaType }
}

/**
 * Builds the draft Placeholder Message from the compose form: text and HTML become resources (`small`,
 * for saveDraft's transaction, unless one is over 64 KiB), attachments must already be readable by the user (uploaded, or fetched for one of their
 * messages: forward by reference) and present on disk. The Message-ID of a replaced draft is kept.
 */
export async function composeDraft(
  ctx: ApiContext,
  user: AuthUser,
  input: DraftInput,
  existing: MessageRow | undefined,
): Promise<{ placeholder: PlaceholderMessage; text: string | undefined; small: SmallResource[] }> {
  const wanted = input.attachments.map((a) => a.contentId)
  const mine = await accountResources(ctx.db, user.account, wanted)
  const named = await accountReferencedResources(ctx.db, user.account, wanted)
  for (const a of input.attachments) {
    // One of the user's own messages names it but its own fetch has not brought it yet (whatever the
    // store holds): the same answer whether or not the bytes are here.
    if (!mine.has(a.contentId) && named.has(a.contentId))
      throw new ConflictError(`attachment ${a.filename ?? a.contentId} has not arrived yet; try again later`)
    if (!mine.has(a.contentId)) {
      // Forward by reference obeys the read rule: only what this account may read (docs/protocol.md §6).
      throw new NotFoundError(
        `you may not attach ${a.filename ?? a.contentId}: it is not one of your uploads, drafts or messages whose content has arrived`,
      )
    }
    const stat = await ctx.resources.stat(a.contentId)
    if (!stat)
      throw new ConflictError(`attachment ${a.filename ?? a.contentId} has not arrived yet; try again later`)
    if (stat.size !== a.size)
      throw new ConflictError(`attachment ${a.filename ?? a.contentId} is ${stat.size} bytes, not ${a.size}`)
  }
  const profile = await findUser(ctx.db, user.email).catch(() => undefined)
  const small: SmallResource[] = []
  const text =
    input.text !== undefined
      ? await storeBody(ctx, input.text, 'text/plain; charset=UTF-8', small)
      : undefined
  const html =
    input.html !== undefined ? await storeBody(ctx, input.html, 'text/html; charset=UTF-8', small) : undefined
  const messageId = existing?.message_id_header || `<${randomUUID()}@${ctx.config.domain}>`
  const placeholder = buildDraft({
    from: profile?.name ? { name: profile.name, address: user.email } : { address: user.email },
    to: input.to,
    cc: input.cc,
    bcc: input.bcc,
    subject: input.subject,
    messageId,
    threadId: input.threadId,
    inReplyTo: input.inReplyTo,
    references: input.references,
    text,
    html,
    attachments: input.attachments,
  })
  return {
    placeholder,
    text: input.text ?? (input.html !== undefined ? htmlToIndexText(input.html) : undefined),
    small,
  }
}
