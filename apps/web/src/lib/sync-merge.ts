// The client half of the polling sync (JMAP-style, RFC 8620 §5.2 "/changes"): a cache of message
// summaries keyed by id plus the server state it reflects. Pure functions, each returns a new cache.

export interface SyncedMessage {
  id: string
  mailboxId: string
  /** Epoch milliseconds; the list sorts newest first. */
  receivedAt: number
  keywords: string[]
  threadId?: string | null
}

export interface MailCache<M extends SyncedMessage> {
  /** The server state these messages reflect; null before the first load. */
  state: string | null
  messages: ReadonlyMap<string, M>
}

export interface ChangeSet<M extends SyncedMessage> {
  created: M[]
  updated: M[]
  destroyed: string[]
  newState: string
}

/** An empty cache. */
export function emptyCache<M extends SyncedMessage>(): MailCache<M> {
  return { state: null, messages: new Map() }
}

/** Adds or replaces messages loaded by a list call without touching the state. */
export function upsertMessages<M extends SyncedMessage>(cache: MailCache<M>, messages: M[]): MailCache<M> {
  if (messages.length === 0) return cache
  const next = new Map(cache.messages)
  for (const m of messages) next.set(m.id, m)
  return { state: cache.state, messages: next }
}

/**
 * Merges one page of changes. Created and updated both upsert (a message can be created and updated
 * between two polls; order inside a page does not matter); destroyed wins over both, because the
 * server reports the net effect since `since`. @see RFC 8620 §5.2
 */
export function applyChanges<M extends SyncedMessage>(
  cache: MailCache<M>,
  changes: ChangeSet<M>,
): MailCache<M> {
  const next = new Map(cache.messages)
  for (const m of changes.created) next.set(m.id, m)
  for (const m of changes.updated) next.set(m.id, m)
  for (const id of changes.destroyed) next.delete(id)
  return { state: changes.newState, messages: next }
}

/** After `cannotCalculateChanges`: forget everything and start again from `state`. */
export function resetCache<M extends SyncedMessage>(state: string, messages: M[] = []): MailCache<M> {
  return { state, messages: new Map(messages.map((m) => [m.id, m])) }
}

/** A local change not yet confirmed by the server (online optimistic update or queued offline). */
export type PendingChange =
  | { kind: 'setKeywords'; ids: string[]; add?: string[]; remove?: string[] }
  | { kind: 'move'; ids: string[]; mailboxId: string }
  | { kind: 'destroy'; ids: string[] }

/** Applies pending changes over a message so the UI shows the user's intent immediately. */
export function applyPending<M extends SyncedMessage>(
  message: M,
  pending: readonly PendingChange[],
): M | undefined {
  let m: M | undefined = message
  for (const change of pending) {
    if (!m || !change.ids.includes(m.id)) continue
    if (change.kind === 'destroy') m = undefined
    else if (change.kind === 'move') m = { ...m, mailboxId: change.mailboxId }
    else {
      const keywords: Set<string> = new Set(m.keywords)
      for (const k of change.add ?? []) keywords.add(k)
      for (const k of change.remove ?? []) keywords.delete(k)
      m = { ...m, keywords: [...keywords].sort() }
    }
  }
  return m
}

const newestFirst = (a: SyncedMessage, b: SyncedMessage) =>
  b.receivedAt - a.receivedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

/** The messages of one mailbox, newest first, with pending changes applied. */
export function mailboxView<M extends SyncedMessage>(
  cache: MailCache<M>,
  mailboxId: string,
  pending: readonly PendingChange[] = [],
): M[] {
  const out: M[] = []
  for (const message of cache.messages.values()) {
    const m = applyPending(message, pending)
    if (m && m.mailboxId === mailboxId) out.push(m)
  }
  return out.sort(newestFirst)
}

/** Unread count per mailbox from what the cache holds. */
export function unreadCounts<M extends SyncedMessage>(
  cache: MailCache<M>,
  pending: readonly PendingChange[] = [],
): Map<string, number> {
  const counts = new Map<string, number>()
  for (const message of cache.messages.values()) {
    const m = applyPending(message, pending)
    if (!m || m.keywords.includes('$seen')) continue
    counts.set(m.mailboxId, (counts.get(m.mailboxId) ?? 0) + 1)
  }
  return counts
}

/** Messages that arrived since `previous` (ids not seen before), for a "new mail" announcement. */
export function newArrivals<M extends SyncedMessage>(previous: MailCache<M>, next: MailCache<M>): M[] {
  const out: M[] = []
  for (const [id, m] of next.messages) if (!previous.messages.has(id)) out.push(m)
  return out.sort(newestFirst)
}
