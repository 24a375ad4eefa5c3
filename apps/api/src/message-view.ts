import {
  accountResources,
  deliveryStatusFor,
  type IndexedResource,
  indexPlaceholder,
  type MessageRow,
  type MessageSummary,
  outboxRowsForMessage,
  retryUntilByRecipient,
  type StoredPlaceholder,
  storedJson,
  storedPlaceholder,
  toSummary,
} from '@federizer/store'
import type { ApiContext } from './context.ts'

export interface ResourceView extends IndexedResource {
  /**
   * The account may read the bytes and they are here: its upload or draft, or its own copy fetched them.
   * Bytes another account holds never count (docs/protocol.md §6, "Who may read a resource").
   */
  available: boolean
}

export interface MessageView extends MessageSummary {
  placeholder: StoredPlaceholder
  /** The inline text part, when it is here, at most `maxInlineBytes`, and within the call's inline budget. */
  text: string | null
  /** The inline HTML part (unsanitised: the webmail sanitises and sandboxes it). */
  html: string | null
  resources: ResourceView[]
  contentReason: string | null
  deliveryStatus: Array<{
    recipient: string
    state: string
    detail: string | null
    updatedAt: number
    retryUntil: number | null
  }>
  /** What the receiving gateway found when it verified the envelope chain; null for own mail. */
  chainVerification: unknown
  /** Until when `send.undo` can still cancel this message (sent mail in its undo window). */
  holdUntil: number | null
}

/**
 * The placeholder as the webmail may see it: never the Recipients-Key (the origin's secret, docs/protocol.md
 * §2), and a Bcc only in what this account wrote itself (its drafts and sent mail). A received copy
 * showing a Bcc would show what someone else added on the way (issue 12 item 8).
 */
function visiblePlaceholder(row: MessageRow, placeholder: StoredPlaceholder): StoredPlaceholder {
  // What the account wrote is one block (a draft, or its sealed Sent copy) and was never verified as
  // received; every received copy (federation or SMTP) carries a receipt block or a verification.
  const own = row.chain_verification === null && placeholder.envelope.length === 1
  const hidden = own ? ['recipients-key'] : ['recipients-key', 'bcc']
  const last = placeholder.envelope.length - 1
  return {
    ...placeholder,
    envelope: placeholder.envelope.map((b, i) =>
      i === last && 'headers' in b
        ? { ...b, headers: b.headers.filter(([n]) => !hidden.includes(n.toLowerCase())) }
        : b,
    ),
  }
}

/** Most inline bytes one message.get returns in total; later bodies come back null (fetch them again). */
const INLINE_BUDGET_BYTES = 16 * 1024 * 1024

async function inline(
  ctx: ApiContext,
  r: ResourceView | undefined,
  budget: { left: number },
): Promise<string | null> {
  if (!r?.available || r.size > ctx.maxInlineBytes || r.size > budget.left) return null
  budget.left -= r.size
  const bytes = await ctx.resources.readSmall(r.contentId, ctx.maxInlineBytes)
  return bytes ? bytes.toString('utf8') : null
}

/** The batch read of message.get: placeholder, inline bodies, resources, status, in one round trip. */
export async function messageViews(
  ctx: ApiContext,
  account: string,
  rows: MessageRow[],
): Promise<MessageView[]> {
  const statuses = await deliveryStatusFor(
    ctx.db,
    rows.map((r) => r.id),
  )
  const budget = { left: INLINE_BUDGET_BYTES }
  return Promise.all(
    rows.map(async (row) => {
      const placeholder = visiblePlaceholder(row, storedPlaceholder(row.placeholder, `message ${row.id}`))
      const ix = indexPlaceholder(placeholder)
      const mine = await accountResources(
        ctx.db,
        account,
        ix.resources.map((r) => r.contentId),
      )
      const resources: ResourceView[] = await Promise.all(
        ix.resources.map(async (r) => ({
          ...r,
          available: mine.has(r.contentId) && (await ctx.resources.has(r.contentId)),
        })),
      )
      const inlines = resources.filter((r) => r.disposition === 'inline')
      const textRef = inlines.find((r) => r.mediaType.startsWith('text/plain'))
      const htmlRef = inlines.find((r) => r.mediaType.startsWith('text/html'))
      const outbox =
        row.sent_at !== null
          ? (await outboxRowsForMessage(ctx.db, row.id)).filter((o) => o.state !== 'cancelled')
          : []
      const held = outbox.filter((o) => o.state === 'held')
      const retryUntil = retryUntilByRecipient(outbox)
      return {
        ...toSummary(row),
        placeholder,
        text: await inline(ctx, textRef, budget),
        html: await inline(ctx, htmlRef, budget),
        resources,
        contentReason: row.content_reason,
        deliveryStatus: statuses
          .filter((s) => s.message_row_id === row.id)
          .map((s) => ({
            recipient: s.recipient,
            state: s.state,
            detail: s.detail,
            updatedAt: Number(s.updated_at),
            retryUntil: retryUntil.get(s.recipient.toLowerCase()) ?? null,
          })),
        chainVerification: storedJson(row.chain_verification, `the chain report of message ${row.id}`),
        holdUntil: held.length > 0 && held.length === outbox.length ? Number(held[0]?.next_attempt_at) : null,
      }
    }),
  )
}
