import type { Selectable } from 'kysely'

/** Tables of the federation area (migration 003). Times are epoch seconds. */

/**
 * One accepted delivery per (origin domain, Message-ID, recipient, sender domain): the idempotency key of
 * the delivery POST (migration 011).
 */
export interface InboundDeliveriesTable {
  id: string
  /** The verified origin of the chain: the domain of the original From, whose AS signed hop 0. */
  origin_domain: string
  sender_domain: string
  message_id_header: string
  /** Lower-cased addr-spec of the local recipient. */
  recipient: string
  /** JWT-Assertion-Digest of the assertion the message was delivered with. */
  assertion_digest: string
  message_row_id: string
  received_at: number
}

/** `waiting`: served by the job of an identical copy (same delivery), never claimed itself. */
export type FetchJobState = 'queued' | 'waiting' | 'done' | 'failed'

/** One row per received message copy × Content-ID: the MTA fetches it from the origin mailbox. */
export interface FetchJobsTable {
  id: string
  account: string
  message_row_id: string
  message_id_header: string
  /** Domain of the original sender (From of the oldest block): the mailbox that serves the bytes. */
  origin_domain: string
  content_id: string
  size: number
  media_type: string
  /** 0 = inline (text, html) first, 1 = attachments. */
  priority: number
  /** JSON of the envelope chain as stored (receipt block on top): presented to the origin. */
  envelope: string
  state: FetchJobState
  attempts: number
  next_attempt_at: number
  lease_until: number | null
  expires_at: number
  last_error: string | null
  created_at: number
  updated_at: number
}

export type ForwardJobState = 'queued' | 'done' | 'failed'

/** One row per received message × auto-forwarding user. */
export interface ForwardJobsTable {
  id: string
  account: string
  message_row_id: string
  /** JSON array of addresses. */
  forward_to: string
  /** JSON of the received message (receipt block on top) the forwarding block is added to. */
  placeholder: string
  state: ForwardJobState
  attempts: number
  next_attempt_at: number
  lease_until: number | null
  expires_at: number
  last_error: string | null
  created_at: number
  updated_at: number
}

/** One rate-limiter counter (migration 012), shared by every replica through the store. */
export interface RateLimitsTable {
  key: string
  points: number
  /** Epoch milliseconds when the window ends; null = never. */
  expire_ms: number | null
}

/** A named random key made once and shared by every replica (migration 014; node-secrets.ts). */
export interface NodeSecretsTable {
  name: string
  /** base64url of 32 random bytes. */
  secret: string
  created_at: number
}

export interface FederationTables {
  inbound_deliveries: InboundDeliveriesTable
  fetch_jobs: FetchJobsTable
  forward_jobs: ForwardJobsTable
  rate_limits: RateLimitsTable
  node_secrets: NodeSecretsTable
}

export type FetchJobRow = Selectable<FetchJobsTable>
export type ForwardJobRow = Selectable<ForwardJobsTable>
