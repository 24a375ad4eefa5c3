import { useSyncExternalStore } from 'react'
import type { MailboxInfo, MessageSummary } from '../api/types.ts'
import type { OutboxItem } from '../lib/outbox-queue.ts'
import { emptyCache, type MailCache, type PendingChange } from '../lib/sync-merge.ts'

// One observable store for the mailbox state the sync engine maintains. Components read slices with
// useMailState(selector); only the engine writes.

export interface Notice {
  id: number
  kind: 'info' | 'error' | 'success'
  text: string
  action?: { label: string; run: () => void }
  /** The message ids the notice is about: a newer notice about any of them makes its Undo stale. */
  about?: string[]
}

export interface MailState {
  cache: MailCache<MessageSummary>
  /** Local changes not yet confirmed: applied over the cache for display. */
  pending: Array<{ key: string; change: PendingChange }>
  mailboxes: MailboxInfo[]
  /** Next page cursor per loaded mailbox; null when the end was reached. */
  cursors: Record<string, string | null>
  online: boolean
  /** Last sync failure shown in the status bar (cleared on success). */
  syncError?: string
  lastSyncAt?: number
  notices: Notice[]
  /** Text for the polite live region ("2 new messages"). */
  announcement: string
  /** Messages sent in this session whose delivery we are showing (held → queued → delivered/failed). */
  sends: TrackedSend[]
  /** Messages sent while offline, waiting in this browser for the connection (lib/outbox-queue.ts). */
  outbox: OutboxItem[]
  /** A yes / no question shown in a real dialog (never `window.confirm`); see askConfirm. */
  question?: Question | undefined
}

export interface Question {
  title: string
  message: string
  confirmLabel: string
  answer: (yes: boolean) => void
}

export interface TrackedSend {
  messageId: string
  subject: string
  /** Epoch ms until which Undo can cancel the send. */
  holdUntil: number
}

export interface MailStore {
  get(): MailState
  set(update: Partial<MailState> | ((s: MailState) => Partial<MailState>)): void
  subscribe(listener: () => void): () => void
}

export function initialMailState(): MailState {
  return {
    cache: emptyCache(),
    pending: [],
    mailboxes: [],
    cursors: {},
    online: typeof navigator === 'undefined' ? true : navigator.onLine,
    notices: [],
    announcement: '',
    sends: [],
    outbox: [],
  }
}

/** A tiny external store (React 18+ useSyncExternalStore contract). */
export function createMailStore(initial: MailState = initialMailState()): MailStore {
  let state = initial
  const listeners = new Set<() => void>()
  return {
    get: () => state,
    set(update) {
      const patch = typeof update === 'function' ? update(state) : update
      state = { ...state, ...patch }
      for (const l of listeners) l()
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

/** Reads a slice; the selector must return a stable reference for unchanged state. */
export function useMailState<T>(store: MailStore, selector: (s: MailState) => T): T {
  return useSyncExternalStore(
    store.subscribe,
    () => selector(store.get()),
    () => selector(store.get()),
  )
}

let noticeId = 0

/** Shows a transient notice (toast). */
export function pushNotice(store: MailStore, notice: Omit<Notice, 'id'>): number {
  const id = ++noticeId
  const about = new Set(notice.about ?? [])
  // An Undo for messages that have been acted on since would undo the wrong thing: drop it.
  const fresh = (n: Notice) => !n.action || !n.about?.some((m) => about.has(m))
  store.set((s) => ({ notices: [...s.notices.filter(fresh).slice(-3), { ...notice, id }] }))
  return id
}

/** Asks a yes / no question in the app's dialog (notices.tsx shows it); resolves with the answer. */
export function askConfirm(store: MailStore, question: Omit<Question, 'answer'>): Promise<boolean> {
  return new Promise((resolve) => {
    store.get().question?.answer(false)
    store.set({
      question: {
        ...question,
        answer: (yes) => {
          store.set({ question: undefined })
          resolve(yes)
        },
      },
    })
  })
}

export function dismissNotice(store: MailStore, id: number): void {
  store.set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }))
}
