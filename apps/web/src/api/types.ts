import type { RouterInputs, RouterOutputs } from '@federizer/api'
import type { ChainVerification } from '@federizer/protocol'
import type { Address, PlaceholderMessage } from '@federizer/protocol/message'
import type { SyncedMessage } from '../lib/sync-merge.ts'

// The webmail's view of the api's data, derived from the router's outputs (RouterOutputs, inferred from
// the tRPC router) so a server-side change breaks the build here, not at run time. Where the webmail
// differs it says so: times are epoch milliseconds (the api counts seconds), nulls become absent
// fields, and string fields the api leaves open are narrowed to the values the webmail handles.
// The adapter (trpc-mail-api.ts) does those conversions.

type ApiMailbox = RouterOutputs['mailbox']['list'][number]
type ApiSummary = RouterOutputs['message']['list']['items'][number]
type ApiMessage = RouterOutputs['message']['get']['messages'][number]
type ApiResource = ApiMessage['resources'][number]
type ApiDelivery = ApiMessage['deliveryStatus'][number]
type ApiDraftInput = RouterInputs['draft']['save']

export type MailboxRole = 'inbox' | 'sent' | 'drafts' | 'trash' | 'archive' | 'junk'

export interface MailboxInfo extends Pick<ApiMailbox, 'id' | 'name' | 'unread' | 'total' | 'parentId'> {
  role: MailboxRole | null
}

export type ContentState = ApiSummary['contentState']

export interface MessageSummary
  extends SyncedMessage,
    Pick<ApiSummary, 'subject' | 'preview' | 'contentState'> {
  from?: Address
  to: Address[]
  hasAttachment: ApiSummary['hasAttachments']
}

export interface ResourceView
  extends Pick<ApiResource, 'contentId' | 'size' | 'mediaType' | 'disposition' | 'available'> {
  filename?: string
}

export type DeliveryState = 'queued' | 'held' | 'delivered' | 'delayed' | 'failed' | 'bounced' | 'cancelled'

export interface DeliveryStatus extends Pick<ApiDelivery, 'recipient'> {
  state: DeliveryState
  detail?: string
  /** Epoch ms until which a delivery still queued is retried (the queue lifetime). */
  retryUntil?: number
}

/** The stored chain verification (docs/protocol.md §7); the api passes it through as JSON. */
export type ChainView = Pick<ChainVerification, 'ok'> & { hops: ChainHopView[] }
export type ChainHopView = Pick<
  ChainVerification['hops'][number],
  'index' | 'kind' | 'iss' | 'azp' | 'sub' | 'senderDomain' | 'status' | 'code' | 'reason'
>

/** Authentication results of mail that came over SMTP (legacy mail: no Federizer chain). */
export interface LegacyAuthView {
  summary: string
  client: { helo: string; hostname?: string; ip: string }
  spf: { result: string; domain?: string }
  dkim: Array<{ result: string; domain?: string; comment?: string }>
  dmarc: { result: string; domain?: string; policy?: string }
  /** ARC (RFC 8617): forwarders' seals; absent on mail stored before ARC was kept. */
  arc?: { result: string; instance?: number; domain?: string }
}

export interface MessageDetail
  extends Pick<ApiMessage, 'id' | 'mailboxId' | 'keywords' | 'receivedAt' | 'contentState'> {
  placeholder: PlaceholderMessage
  text?: string
  html?: string
  resources: ResourceView[]
  contentReason?: string
  delivery: DeliveryStatus[]
  chain?: ChainView
  /** Set for mail received over SMTP: SPF, DKIM and DMARC instead of a chain. */
  legacy?: LegacyAuthView
  /** Epoch ms until which a just-sent message can still be recalled (undo send). */
  holdUntil?: number
}

export type ChangesResult = RouterOutputs['sync']['changes']
export type ChangesPage = Extract<ChangesResult, { kind: 'changes' }>

export type ResourceRefView = NonNullable<ApiDraftInput['attachments']>[number]

export interface DraftState
  extends Required<Pick<ApiDraftInput, 'to' | 'cc' | 'bcc' | 'subject' | 'text'>>,
    Pick<ApiDraftInput, 'html' | 'inReplyTo' | 'threadId'> {
  draftId?: string
  from?: Address
  attachments: ResourceRefView[]
  references: string[]
  /** Which message this reply/forward answers (for $answered / $forwarded). */
  sourceMessageId?: string
  mode: 'new' | 'reply' | 'replyAll' | 'forward'
  /** The signature block added when the draft was started (not "content" for isDraftEmpty). */
  signature?: string
}

export interface SendResult extends Pick<RouterOutputs['send']['submit'], 'messageId'> {
  /** Epoch ms until which the send can be undone. */
  holdUntil: number
}

/** Forwarding, identities, preferences, blocked senders and the vacation reply, as the api sends them. */
export type Settings = RouterOutputs['settings']['get']
export type UserPrefs = Settings['prefs']
export type VacationSettings = Settings['vacation']
