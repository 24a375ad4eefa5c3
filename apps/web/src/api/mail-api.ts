import type { Address } from '@federizer/protocol/message'
import type {
  ChangesResult,
  DraftState,
  MailboxInfo,
  MessageDetail,
  MessageSummary,
  SendResult,
  Settings,
  UserPrefs,
  VacationSettings,
} from './types.ts'

/**
 * Everything the webmail asks of its api, in the webmail's own types. The one implementation
 * (trpc-mail-api.ts) adapts the typed tRPC client; keeping this seam small means a renamed server field
 * is fixed in one file.
 */
export interface MailApi {
  me(): Promise<{ email: string; name?: string }>
  listMailboxes(): Promise<MailboxInfo[]>
  /** A user folder at the top level, or inside `parentId` (nesting). */
  createMailbox(name: string, parentId?: string): Promise<void>
  renameMailbox(id: string, name: string): Promise<void>
  /** Deletes a user folder; the server refuses one that still holds messages or folders. */
  removeMailbox(id: string): Promise<void>
  /** Nests a folder inside another (or null: back at the top level). */
  moveMailbox(id: string, parentId: string | null): Promise<void>
  /**
   * "All N in this folder": one change done on the server; answers the ids it touched and, of those,
   * the ones whose state really changed (`flipped`, for an exact Undo).
   */
  bulkInMailbox(input: {
    mailboxId: string
    action:
      | { kind: 'move'; mailboxId: string }
      | { kind: 'setKeywords'; add?: string[]; remove?: string[] }
      | { kind: 'destroy' }
  }): Promise<{ ids: string[]; flipped: string[] }>
  listMessages(input: { mailboxId: string; cursor?: string; limit: number }): Promise<{
    items: MessageSummary[]
    nextCursor?: string
  }>
  summaries(ids: string[]): Promise<MessageSummary[]>
  details(ids: string[]): Promise<MessageDetail[]>
  setKeywords(input: { ids: string[]; add?: string[]; remove?: string[] }): Promise<void>
  move(input: { ids: string[]; mailboxId: string }): Promise<void>
  destroy(input: { ids: string[] }): Promise<void>
  /** Moves messages out of Trash back to where they were. */
  restore(input: { ids: string[] }): Promise<void>
  search(input: { query: string; mailboxId?: string; limit?: number }): Promise<MessageSummary[]>
  thread(threadId: string): Promise<MessageSummary[]>
  syncState(): Promise<string>
  changes(input: { since: string; max: number }): Promise<ChangesResult>
  saveDraft(draft: DraftState): Promise<{ draftId: string }>
  deleteDraft(draftId: string): Promise<void>
  /**
   * Sends the compose form as it is now: saved as `saveDraft` saves it (over its draft, if it has one)
   * and sent, in one request. `messageId` is the draft's id, now the sent message's. `onSaved` is told
   * the draft's id once the form is saved, also when the send then fails (the draft is kept).
   */
  send(draft: DraftState, onSaved?: (draftId: string) => void): Promise<SendResult>
  undoSend(messageId: string): Promise<void>
  /** Retrying or failed deliveries of a sent message: attempt them now. */
  retrySend(messageId: string): Promise<void>
  /** Retrying or failed deliveries of a sent message: stop them. */
  cancelSend(messageId: string): Promise<void>
  settings(): Promise<Settings>
  /** The account's storage quota and use, in bytes (account.quota); optional for fakes. */
  quota?(): Promise<{ usedBytes: number; quotaBytes: number }>
  /** `enabled: false` switches forwarding off and keeps the addresses. */
  setAutoForward(to: string[] | null, keepCopy: boolean, enabled: boolean): Promise<void>
  setPrefs(patch: Partial<UserPrefs>): Promise<UserPrefs>
  /** The message list groups by conversation (one row per thread) or lists every message. */
  setConversationView(on: boolean): Promise<void>
  setDisplayName(name: string): Promise<void>
  blockSender(entry: string): Promise<string[]>
  unblockSender(entry: string): Promise<string[]>
  setVacation(vacation: VacationSettings): Promise<void>
  /** Keeps this browser's refresh family; every other sign-in ends. */
  changePassword(input: { current: string; next: string; refreshToken?: string }): Promise<{
    signedOutElsewhere: number
  }>
  /** Whether the user has written to `address` (remote content from contacts). */
  isCorrespondent(address: string): Promise<boolean>
  suggestContacts(prefix: string): Promise<Address[]>
  downloadUrl(input: {
    contentId: string
    filename?: string
    mediaType?: string
    /** A PDF opened in the browser's viewer. */
    view?: boolean
  }): Promise<string>
  /** URL of POST /resources for XHR uploads. */
  readonly uploadUrl: string
  accessToken(): Promise<string>
}

/** Errors the UI distinguishes: offline/network vs. a server that answered no. */
export function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  if (error instanceof TypeError) return true
  const cause = (error as { cause?: unknown }).cause
  if (cause instanceof TypeError) return true
  // The token refresh could not reach the AS: as offline as a failed fetch.
  if ((error as { code?: unknown }).code === 'as_unreachable') return true
  if ((cause as { code?: unknown } | undefined)?.code === 'as_unreachable') return true
  return /Failed to fetch|NetworkError|fetch failed|Load failed/i.test(error.message)
}
