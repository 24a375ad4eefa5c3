import type { Generated, Insertable, Selectable, Updateable } from 'kysely'

/** Roles a mailbox may carry (RFC 8621 §2 names); user folders have role null. */
export const MAILBOX_ROLES = ['inbox', 'drafts', 'sent', 'trash', 'archive', 'junk'] as const
export type MailboxRole = (typeof MAILBOX_ROLES)[number]

export type ContentState = 'complete' | 'arriving' | 'unavailable'
export type DeliveryState = 'queued' | 'held' | 'delivered' | 'delayed' | 'failed' | 'bounced' | 'cancelled'
export type OutboxState = 'held' | 'queued' | 'delivered' | 'failed' | 'cancelled'
/** Who keeps a resource alive: a stored message copy, an upload (for a grace period), or an outbox row. */
export type ResourceOwnerKind = 'message' | 'upload' | 'outbox'

/** Per-account sync counter: `modseq` is the state; changes at or below `horizon_modseq` are forgotten. */
export interface AccountStateTable {
  account: string
  modseq: number
  horizon_modseq: number
  updated_at: number
}

export interface MailboxesTable {
  id: string
  account: string
  name: string
  role: MailboxRole | null
  /** The folder this one is nested in (user folders only); null at the top level. */
  parent_id: string | null
  sort_order: number
  created_modseq: number
  modseq: number
  created_at: number
}

/** One row per message copy per account. Columns beside `placeholder` are derived for lists and search. */
export interface MessagesTable {
  id: string
  account: string
  mailbox_id: string
  /** The mailbox a message was in before it went to Trash (restore). */
  previous_mailbox_id: string | null
  /** Placeholder Message, JSON model. */
  placeholder: string
  /** JSON array of keywords, e.g. ["$seen","$flagged"]. */
  keywords: string
  seen: number
  thread_id: string
  message_id_header: string
  in_reply_to: string | null
  subject: string
  from_address: string
  from_name: string | null
  /** JSON array of {name?, address} of To + Cc (and Bcc in the sender's own copy). */
  recipients: string
  preview: string
  has_attachments: number
  size: number
  sent_at: number | null
  received_at: number
  content_state: ContentState
  content_reason: string | null
  /** JSON of a chain verification result, when the receiving gateway recorded one. */
  chain_verification: string | null
  /** The draft as it was before send, kept while the undo window is open. */
  draft_backup: string | null
  /** Global insertion sequence (search index row id). */
  seq: number
  created_modseq: number
  modseq: number
}

/** Destroyed messages and mailboxes, so `changes` can report them until pruned past the horizon. */
export interface TombstonesTable {
  account: string
  entity: 'message' | 'mailbox'
  entity_id: string
  created_modseq: number
  modseq: number
}

/** Which account keeps which resource alive, why, and whether that lets it read the resource. */
export interface ResourceRefsTable {
  account: string
  content_id: string
  owner_kind: ResourceOwnerKind
  owner_id: string
  /** Epoch seconds after which an upload / outbox reference lapses (null: as long as the owner exists). */
  keep_until: number | null
  /**
   * 1: the account may read the resource through this reference (its upload, its own draft, or a received
   * copy whose own fetch completed); 0: the reference only keeps the bytes alive.
   */
  readable: Generated<number>
}

/**
 * Small resources kept in the database instead of a file of their own (resources.ts): the bytes of a
 * body or a fetched resource up to SMALL_RESOURCE_MAX_BYTES, written in the transaction of the row that
 * names it.
 */
export interface SmallResourcesTable {
  /** The SHA-256 of `bytes`, base64url: the Content-ID. */
  content_id: string
  bytes: Uint8Array
  size: number
  /** Epoch seconds of the last write (the garbage collector's grace period counts from it). */
  stored_at: number
}

export interface UploadsTable {
  id: string
  account: string
  content_id: string
  size: number
  media_type: string
  filename: string | null
  created_at: number
}

export interface DeliveryStatusTable {
  message_row_id: string
  recipient: string
  state: DeliveryState
  detail: string | null
  updated_at: number
}

/** One row per sent message × recipient domain; written by the api, claimed by the MTA. */
export interface OutboxTable {
  id: string
  account: string
  message_row_id: string
  recipient_domain: string
  /** JSON array of addresses at that domain. */
  recipients: string
  /** JSON of the message as delivered to that domain: Bcc removed, assertion pushed. */
  placeholder: string
  /** JSON {privateJwk, publicJwk} of the ephemeral DPoP key the assertion is bound to. */
  dpop_key: string
  state: OutboxState
  attempts: number
  next_attempt_at: number
  lease_until: number | null
  expires_at: number
  last_error: string | null
  delay_notified: number
  created_at: number
  updated_at: number
}

export interface AccountSettingsTable {
  account: string
  /** JSON array of addresses (kept while forwarding is switched off), or null when none was set. */
  auto_forward: string | null
  /** 1: mail is forwarded to auto_forward; 0: switched off, the addresses kept for turning it on again. */
  auto_forward_enabled: Generated<number>
  /** 1: the user's mailbox keeps (and fetches) its own copy of forwarded mail. */
  auto_forward_keep_copy: Generated<number>
  /** 1: the message list groups by conversation (the default); 0: one row per message. */
  conversation_view: Generated<number>
  /** JSON of the webmail preferences (user-prefs.ts), or null for the defaults. */
  prefs: string | null
  /** JSON of the vacation auto-reply (vacation.ts), or null when never set. */
  vacation: string | null
  updated_at: number
}

/** Senders whose mail goes to Junk: a whole address or `@domain`. */
export interface BlockedSendersTable {
  account: string
  address: string
  created_at: number
}

/** One vacation auto-reply to send for a received message (the MTA's vacation runner claims it by lease). */
export interface VacationJobsTable {
  id: string
  account: string
  /** The received message being answered. */
  message_row_id: string
  state: 'queued' | 'done' | 'failed'
  attempts: number
  next_attempt_at: number
  lease_until: number | null
  expires_at: number
  last_error: string | null
  created_at: number
  updated_at: number
}

/** When each sender last got this account's vacation reply (RFC 3834 §2: at most once per period). */
export interface VacationRepliesTable {
  account: string
  sender: string
  replied_at: number
}

export interface ContactsTable {
  account: string
  address: string
  name: string | null
  use_count: number
  last_used_at: number
}

/** Bytes of the message copies an account holds, kept by triggers on `messages` (migration 016). */
export interface AccountUsageTable {
  account: string
  message_bytes: number
}

export interface MailboxTables {
  account_state: AccountStateTable
  account_usage: AccountUsageTable
  mailboxes: MailboxesTable
  messages: MessagesTable
  tombstones: TombstonesTable
  resource_refs: ResourceRefsTable
  small_resources: SmallResourcesTable
  uploads: UploadsTable
  delivery_status: DeliveryStatusTable
  outbox: OutboxTable
  account_settings: AccountSettingsTable
  blocked_senders: BlockedSendersTable
  vacation_replies: VacationRepliesTable
  vacation_jobs: VacationJobsTable
  contacts: ContactsTable
}

export type MessageRow = Selectable<MessagesTable>
export type NewMessageRow = Insertable<MessagesTable>
export type MessageUpdate = Updateable<MessagesTable>
export type MailboxRow = Selectable<MailboxesTable>
export type OutboxRow = Selectable<OutboxTable>
export type NewOutboxRow = Insertable<OutboxTable>
export type UploadRow = Selectable<UploadsTable>
export type DeliveryStatusRow = Selectable<DeliveryStatusTable>
