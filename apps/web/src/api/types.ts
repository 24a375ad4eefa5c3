import type { Address, PlaceholderMessage } from '@federizer/protocol/message'
import type { SyncedMessage } from '../lib/sync-merge.ts'

// The webmail's own view of the api's data. The tRPC adapter (mail-api.ts) maps the router's outputs
// onto these, so components do not break when a server-side field is renamed.

export type MailboxRole = 'inbox' | 'sent' | 'drafts' | 'trash' | 'archive' | 'junk'

export interface MailboxInfo {
  id: string
  name: string
  role: MailboxRole | null
  unread: number
  total: number
}

export type ContentState = 'complete' | 'arriving' | 'unavailable'

export interface MessageSummary extends SyncedMessage {
  from?: Address
  to: Address[]
  subject: string
  preview: string
  hasAttachment: boolean
  contentState: ContentState
}

export interface ResourceView {
  contentId: string
  size: number
  mediaType: string
  filename?: string
  disposition: 'inline' | 'attachment'
  /** False while the mailbox is still fetching it from the origin. */
  available: boolean
}

export type DeliveryState = 'queued' | 'held' | 'delivered' | 'delayed' | 'failed' | 'bounced' | 'cancelled'

export interface DeliveryStatus {
  recipient: string
  state: DeliveryState
  detail?: string
}

export interface ChainHopView {
  index: number
  kind: 'origin' | 'forward'
  iss?: string
  azp?: string
  sub?: string
  senderDomain?: string
  status: 'pass' | 'fail'
  code?: string
  reason?: string
}

export interface ChainView {
  ok: boolean
  hops: ChainHopView[]
}

/** Authentication results of mail that came over SMTP (legacy mail: no Federizer chain). */
export interface LegacyAuthView {
  summary: string
  client: { helo: string; hostname?: string; ip: string }
  spf: { result: string; domain?: string }
  dkim: Array<{ result: string; domain?: string; comment?: string }>
  dmarc: { result: string; domain?: string; policy?: string }
}

export interface MessageDetail {
  id: string
  mailboxId: string
  keywords: string[]
  receivedAt: number
  placeholder: PlaceholderMessage
  text?: string
  html?: string
  resources: ResourceView[]
  contentState: ContentState
  contentReason?: string
  delivery: DeliveryStatus[]
  chain?: ChainView
  /** Set for mail received over SMTP: SPF, DKIM and DMARC instead of a chain. */
  legacy?: LegacyAuthView
  /** Epoch ms until which a just-sent message can still be recalled (undo send). */
  holdUntil?: number
}

export interface ChangesPage {
  kind: 'changes'
  created: string[]
  updated: string[]
  destroyed: string[]
  newState: string
  hasMore: boolean
  mailboxesChanged: boolean
}

export type ChangesResult = ChangesPage | { kind: 'cannotCalculateChanges'; newState: string }

export interface DraftState {
  draftId?: string
  from?: Address
  to: Address[]
  cc: Address[]
  bcc: Address[]
  subject: string
  text: string
  html?: string
  attachments: ResourceRefView[]
  inReplyTo?: string
  references: string[]
  threadId?: string
  /** Which message this reply/forward answers (for $answered / $forwarded). */
  sourceMessageId?: string
  mode: 'new' | 'reply' | 'replyAll' | 'forward'
  /** The signature block added when the draft was started (not "content" for isDraftEmpty). */
  signature?: string
}

export interface ResourceRefView {
  contentId: string
  size: number
  mediaType: string
  filename?: string
}

export interface SendResult {
  messageId: string
  /** Epoch ms until which the send can be undone. */
  holdUntil: number
}

export interface Settings {
  autoForward: string[] | null
  /** Keep (and fetch) a copy in this mailbox of the mail it forwards. */
  keepCopy: boolean
  /** What the AS allows this user: forward anywhere, nowhere, or only to listed domains. */
  forwardPolicy: 'allowed' | 'denied' | 'domains'
  forwardDomains: string[]
  displayName: string
  /** Addresses the user sends from; signatures are kept per identity. */
  identities: string[]
  prefs: UserPrefs
  /** The domain's undo-send delay, used while prefs.undoSendSeconds is null. */
  undoSendDefault: number
  /** Blocked senders: addresses and `@domain` entries; their mail is filed in Junk. */
  blocked: string[]
  vacation: VacationSettings
}

export interface UserPrefs {
  signatures: Record<string, string>
  undoSendSeconds: number | null
  readingPane: 'right' | 'bottom' | 'off'
  density: 'comfortable' | 'compact'
  remoteContent: 'ask' | 'contacts' | 'never'
}

export interface VacationSettings {
  enabled: boolean
  subject: string
  text: string
  /** Epoch seconds, or null (open-ended). */
  startsAt: number | null
  endsAt: number | null
  periodDays: number
}
