import type { RouterOutputs } from '@federizer/api'
import type { Address, PlaceholderMessage } from '@federizer/protocol/message'
import { TRPCClientError } from '@trpc/client'
import type { MailApi } from './mail-api.ts'
import type { ApiClient } from './trpc-client.ts'
import type {
  ChainView,
  ContentState,
  DeliveryState,
  DraftState,
  LegacyAuthView,
  MailboxInfo,
  MailboxRole,
  MessageDetail,
  MessageSummary,
  ResourceView,
} from './types.ts'

// The adapter between the api's router outputs and the webmail's types. The api counts time in epoch
// seconds; the webmail in milliseconds (Date).

type ApiSummary = RouterOutputs['message']['list']['items'][number]
type ApiMessage = RouterOutputs['message']['get']['messages'][number]

const ROLES: readonly MailboxRole[] = ['inbox', 'sent', 'drafts', 'trash', 'archive', 'junk']
const ms = (seconds: number | null | undefined) => (seconds ? seconds * 1000 : 0)

function toAddress(a: { name?: string | null; address: string } | null | undefined): Address | undefined {
  if (!a) return undefined
  return a.name ? { name: a.name, address: a.address } : { address: a.address }
}

/** A list row in the webmail's terms. */
export function toMessageSummary(s: ApiSummary): MessageSummary {
  const from = toAddress(s.from)
  return {
    id: s.id,
    mailboxId: s.mailboxId,
    receivedAt: ms(s.receivedAt),
    keywords: [...s.keywords].sort(),
    threadId: s.threadId,
    ...(from ? { from } : {}),
    to: s.recipients.map((r) => toAddress(r) as Address),
    subject: s.subject,
    preview: s.preview,
    hasAttachment: s.hasAttachments,
    contentState: s.contentState as ContentState,
  }
}

function toChain(value: unknown): ChainView | undefined {
  if (!value || typeof value !== 'object') return undefined
  const v = value as { ok?: unknown; hops?: unknown }
  if (typeof v.ok !== 'boolean' || !Array.isArray(v.hops)) return undefined
  return { ok: v.ok, hops: v.hops as ChainView['hops'] }
}

function toLegacy(value: unknown): LegacyAuthView | undefined {
  const v = (value as { legacy?: LegacyAuthView } | null)?.legacy
  if (!v || typeof v.summary !== 'string' || !v.spf || !Array.isArray(v.dkim) || !v.dmarc) return undefined
  return v
}

/** A full message (reader) in the webmail's terms. */
function toMessageDetail(m: ApiMessage): MessageDetail {
  const resources: ResourceView[] = m.resources.map((r) => ({
    contentId: r.contentId,
    size: r.size,
    mediaType: r.mediaType,
    ...(r.filename ? { filename: r.filename } : {}),
    disposition: r.disposition,
    available: r.available,
  }))
  const chain = toChain(m.chainVerification)
  const legacy = toLegacy(m.chainVerification)
  return {
    id: m.id,
    mailboxId: m.mailboxId,
    keywords: [...m.keywords].sort(),
    receivedAt: ms(m.receivedAt),
    placeholder: m.placeholder as unknown as PlaceholderMessage,
    ...(m.text !== null ? { text: m.text } : {}),
    ...(m.html !== null ? { html: m.html } : {}),
    resources,
    contentState: m.contentState as ContentState,
    ...(m.contentReason ? { contentReason: m.contentReason } : {}),
    delivery: m.deliveryStatus.map((d) => ({
      recipient: d.recipient,
      state: d.state as DeliveryState,
      ...(d.detail ? { detail: d.detail } : {}),
      ...(d.retryUntil ? { retryUntil: ms(d.retryUntil) } : {}),
    })),
    ...(chain ? { chain } : {}),
    ...(legacy ? { legacy } : {}),
    ...(m.holdUntil ? { holdUntil: ms(m.holdUntil) } : {}),
  }
}

function draftInput(d: DraftState) {
  return {
    ...(d.draftId ? { id: d.draftId } : {}),
    to: d.to,
    cc: d.cc,
    bcc: d.bcc,
    subject: d.subject,
    text: d.text,
    ...(d.html ? { html: d.html } : {}),
    attachments: d.attachments,
    ...(d.inReplyTo ? { inReplyTo: d.inReplyTo } : {}),
    ...(d.references.length ? { references: d.references } : {}),
    ...(d.threadId ? { threadId: d.threadId } : {}),
  }
}

/** Builds the MailApi over the typed tRPC client. */
export function createTrpcMailApi(
  client: ApiClient,
  options: { apiUrl: string; accessToken: () => Promise<string> },
): MailApi {
  return {
    uploadUrl: `${options.apiUrl}/resources`,
    accessToken: options.accessToken,
    async me() {
      const me = await client.account.me.query()
      return { email: me.email, ...(me.name ? { name: me.name } : {}) }
    },
    async listMailboxes() {
      const boxes = await client.mailbox.list.query()
      return boxes.map(
        (b): MailboxInfo => ({
          id: b.id,
          name: b.name,
          role: b.role && (ROLES as readonly string[]).includes(b.role) ? (b.role as MailboxRole) : null,
          unread: b.unread,
          total: b.total,
          parentId: b.parentId,
        }),
      )
    },
    async createMailbox(name, parentId) {
      await client.mailbox.create.mutate({ name, parentId: parentId ?? null })
    },
    async renameMailbox(id, name) {
      await client.mailbox.rename.mutate({ id, name })
    },
    async removeMailbox(id) {
      await client.mailbox.remove.mutate({ id })
    },
    async moveMailbox(id, parentId) {
      await client.mailbox.move.mutate({ id, parentId })
    },
    async bulkInMailbox(input) {
      return client.message.bulkInMailbox.mutate(input)
    },
    async listMessages(input) {
      const page = await client.message.list.query(input)
      return {
        items: page.items.map(toMessageSummary),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      }
    },
    async summaries(ids) {
      if (ids.length === 0) return []
      const result = await client.message.get.query({ ids })
      return result.messages.map(toMessageSummary)
    },
    async details(ids) {
      if (ids.length === 0) return []
      const result = await client.message.get.query({ ids })
      return result.messages.map(toMessageDetail)
    },
    async setKeywords(input) {
      await client.message.setKeywords.mutate(input)
    },
    async move(input) {
      await client.message.move.mutate(input)
    },
    async destroy(input) {
      await client.message.destroy.mutate(input)
    },
    async restore(input) {
      await client.message.restore.mutate(input)
    },
    async search(input) {
      return (await client.message.search.query(input)).map(toMessageSummary)
    },
    async thread(threadId) {
      return (await client.message.thread.query({ threadId })).map(toMessageSummary)
    },
    async syncState() {
      return (await client.sync.state.query()).state
    },
    async changes(input) {
      return client.sync.changes.query(input)
    },
    async saveDraft(draft) {
      const saved = await client.draft.save.mutate(draftInput(draft))
      return { draftId: saved.id }
    },
    async deleteDraft(draftId) {
      await client.draft.delete.mutate({ id: draftId })
    },
    async send(draft, onSaved) {
      let result: Awaited<ReturnType<typeof client.send.submit.mutate>>
      try {
        result = await client.send.submit.mutate({ draft: draftInput(draft) })
      } catch (e) {
        // Saved, then not sent: the error names the draft the form now is.
        const saved =
          e instanceof TRPCClientError ? (e.data as { draftId?: unknown } | undefined)?.draftId : undefined
        if (typeof saved === 'string') onSaved?.(saved)
        throw e
      }
      onSaved?.(result.messageId)
      return { messageId: result.messageId, holdUntil: ms(result.holdUntil) }
    },
    async undoSend(messageId) {
      await client.send.undo.mutate({ messageId })
    },
    async retrySend(messageId) {
      await client.send.retry.mutate({ messageId })
    },
    async cancelSend(messageId) {
      await client.send.cancel.mutate({ messageId })
    },
    quota() {
      return client.account.quota.query()
    },
    settings: () => client.settings.get.query(),
    async setAutoForward(to, keepCopy, enabled) {
      await client.settings.setAutoForward.mutate({ to, keepCopy, enabled })
    },
    setPrefs: (patch) => client.settings.setPrefs.mutate(patch),
    async setConversationView(on) {
      await client.settings.setConversationView.mutate({ on })
    },
    async setDisplayName(name) {
      await client.settings.setDisplayName.mutate({ name })
    },
    blockSender: async (entry) => (await client.settings.block.mutate({ entry })).blocked,
    unblockSender: async (entry) => (await client.settings.unblock.mutate({ entry })).blocked,
    async setVacation(vacation) {
      await client.settings.setVacation.mutate(vacation)
    },
    changePassword: (input) => client.settings.changePassword.mutate(input),
    isCorrespondent: async (address) => (await client.contacts.isCorrespondent.query({ address })).known,
    async suggestContacts(prefix) {
      const list = await client.contacts.suggest.query({ prefix })
      return list.map((c) => toAddress(c) as Address)
    },
    async downloadUrl(input) {
      const result = await client.resource.downloadUrl.mutate(input)
      return new URL(result.url, options.apiUrl).href
    },
  }
}
