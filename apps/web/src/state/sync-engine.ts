import { isNetworkError, type MailApi } from '../api/mail-api.ts'
import type { MessageSummary } from '../api/types.ts'
import { explainError } from '../lib/explain.ts'
import { plural } from '../lib/format.ts'
import { loadSnapshot, saveSnapshot } from '../lib/offline-cache.ts'
import { createOfflineQueue, type KeyValueStorage, type OfflineQueue } from '../lib/offline-queue.ts'
import {
  applyChanges,
  applyPending,
  newArrivals,
  type PendingChange,
  resetCache,
  upsertMessages,
} from '../lib/sync-merge.ts'
import { type MailStore, pushNotice } from './mail-store.ts'

// Polling sync (JMAP-like, RFC 8620 §5.2): every `intervalMs` ask sync.state; when it moved, pull
// sync.changes since our state page by page, fetch the summaries of created/updated ids and merge.
// User actions are applied optimistically; when the network is down they wait in a persisted queue.

export interface SyncEngine {
  start(): void
  stop(): void
  /** Loads (or reloads) the first page of a mailbox. */
  loadMailbox(mailboxId: string): Promise<void>
  loadMore(mailboxId: string): Promise<void>
  /** Polls once now (also used after sending so the Sent folder updates at once). */
  syncNow(): Promise<void>
  /** Re-reads the mailbox list (after creating a folder). */
  refreshMailboxes(): Promise<void>
  act(change: PendingChange, label?: string): Promise<void>
}

export interface SyncEngineOptions {
  api: MailApi
  store: MailStore
  account: string
  storage: KeyValueStorage
  intervalMs?: number
  pageSize?: number
}

const CHANGES_MAX = 200
const GET_CHUNK = 100

export function createSyncEngine(options: SyncEngineOptions): SyncEngine {
  const { api, store } = options
  const intervalMs = options.intervalMs ?? 2000
  const pageSize = options.pageSize ?? 100
  const queue: OfflineQueue = createOfflineQueue(options.storage, `fz:queue:${options.account.toLowerCase()}`)
  let timer: ReturnType<typeof setTimeout> | undefined
  let running = false
  let inFlight: Promise<void> | undefined
  let pendingCounter = 0

  // Actions queued in an earlier session are shown as pending from the start, over the offline copy
  // of the mailbox (so a reload without network still shows mail); sync resumes from its state.
  const snapshot = loadSnapshot(options.storage, options.account)
  store.set({
    pending: queue.list().map((a) => ({ key: `q:${a.id}`, change: a.change })),
    ...(snapshot
      ? {
          cache: upsertMessages({ state: snapshot.state, messages: new Map() }, snapshot.summaries),
          mailboxes: snapshot.mailboxes,
        }
      : {}),
  })
  let saveTimer: ReturnType<typeof setTimeout> | undefined
  const saveNow = () => {
    const s = store.get()
    saveSnapshot(options.storage, options.account, {
      state: s.cache.state,
      mailboxes: s.mailboxes,
      summaries: s.cache.messages.values(),
    })
  }
  const unsubscribe = store.subscribe(() => {
    if (saveTimer) return
    saveTimer = setTimeout(() => {
      saveTimer = undefined
      saveNow()
    }, 3000)
  })

  const setOnline = (online: boolean) => {
    if (store.get().online !== online) store.set({ online })
  }

  async function fetchSummaries(ids: string[]): Promise<MessageSummary[]> {
    const out: MessageSummary[] = []
    for (let i = 0; i < ids.length; i += GET_CHUNK)
      out.push(...(await api.summaries(ids.slice(i, i + GET_CHUNK))))
    return out
  }

  let mailboxesLoaded = false
  async function refreshMailboxes() {
    store.set({ mailboxes: await api.listMailboxes() })
    mailboxesLoaded = true
  }

  async function loadMailbox(mailboxId: string) {
    const page = await api.listMessages({ mailboxId, limit: pageSize })
    store.set((s) => ({
      cache: upsertMessages(s.cache, page.items),
      cursors: { ...s.cursors, [mailboxId]: page.nextCursor ?? null },
    }))
  }

  async function loadMore(mailboxId: string) {
    const cursor = store.get().cursors[mailboxId]
    if (!cursor) return
    const page = await api.listMessages({ mailboxId, cursor, limit: pageSize })
    store.set((s) => ({
      cache: upsertMessages(s.cache, page.items),
      cursors: { ...s.cursors, [mailboxId]: page.nextCursor ?? null },
    }))
  }

  async function fullReload(state: string) {
    store.set({ cache: resetCache(state), cursors: {} })
    await refreshMailboxes()
    for (const mailbox of store.get().mailboxes) {
      if (mailbox.role === 'inbox' || mailbox.role === 'sent') await loadMailbox(mailbox.id)
    }
  }

  async function pull() {
    const before = store.get().cache
    const serverState = await api.syncState()
    if (before.state === null) {
      // First contact: load mailboxes and the inbox, then follow changes from here.
      await fullReload(serverState)
      return
    }
    if (serverState === before.state) {
      if (!mailboxesLoaded) await refreshMailboxes()
      return
    }
    let since = before.state
    for (let guard = 0; guard < 50; guard++) {
      let result: Awaited<ReturnType<MailApi['changes']>>
      try {
        result = await api.changes({ since, max: CHANGES_MAX })
      } catch (error) {
        // A state the server does not know (e.g. an offline copy from a reset server): start over.
        if (isNetworkError(error)) throw error
        await fullReload(serverState)
        return
      }
      if (result.kind === 'cannotCalculateChanges') {
        await fullReload(result.newState)
        return
      }
      const ids = [...new Set([...result.created, ...result.updated])]
      const fetched = await fetchSummaries(ids)
      const createdSet = new Set(result.created)
      store.set((s) => ({
        cache: applyChanges(s.cache, {
          created: fetched.filter((m) => createdSet.has(m.id)),
          updated: fetched.filter((m) => !createdSet.has(m.id)),
          destroyed: result.destroyed,
          newState: result.newState,
        }),
      }))
      since = result.newState
      if (!result.hasMore) break
    }
    // Unread counts move with every keyword change, not only when mailboxes change: refresh them.
    await refreshMailboxes()
    const arrivals = newArrivals(before, store.get().cache).filter((m) => !m.keywords.includes('$seen'))
    const inbox = store.get().mailboxes.find((m) => m.role === 'inbox')
    const newInInbox = arrivals.filter((m) => m.mailboxId === inbox?.id)
    if (newInInbox.length > 0) {
      const first = newInInbox[0]
      store.set({
        announcement:
          newInInbox.length === 1 && first
            ? `New message from ${first.from?.name ?? first.from?.address ?? 'unknown sender'}: ${first.subject}`
            : `${newInInbox.length} new messages`,
      })
    }
  }

  async function replayQueue() {
    if (queue.list().length === 0) return
    const result = await queue.replay(async (change) => {
      try {
        await execute(change)
        return 'ok'
      } catch (error) {
        if (isNetworkError(error)) return 'retry'
        return { rejected: error instanceof Error ? error.message : String(error) }
      }
    })
    const doneKeys = new Set(
      [...result.done, ...result.rejected.map((r) => r.action)].map((a) => `q:${a.id}`),
    )
    store.set((s) => ({ pending: s.pending.filter((p) => !doneKeys.has(p.key)) }))
    for (const r of result.rejected)
      pushNotice(store, {
        kind: 'error',
        text: explainError(new Error(r.message), 'A change made offline could not be saved').sentence,
      })
    if (result.done.length > 0) {
      pushNotice(store, { kind: 'success', text: `${plural(result.done.length, 'queued action')} synced.` })
    }
  }

  async function tick() {
    try {
      await pull()
      setOnline(true)
      store.set({ syncError: undefined, lastSyncAt: Date.now() })
      await replayQueue()
    } catch (error) {
      if (isNetworkError(error)) setOnline(false)
      else store.set({ syncError: error instanceof Error ? error.message : String(error) })
    }
  }

  function syncNow(): Promise<void> {
    if (!inFlight) {
      inFlight = tick().finally(() => {
        inFlight = undefined
      })
    }
    return inFlight
  }

  // Ticks skipped while the tab is hidden: a background tab syncs every 5th tick (every 10 s at the
  // default 2 s), on a fixed cadence, so new mail reaches its title and notification in bounded time.
  let hiddenTicks = 0
  function schedule() {
    if (!running) return
    timer = setTimeout(async () => {
      // Background tabs poll less often; the state call is cheap but not free.
      const hidden = typeof document !== 'undefined' && document.visibilityState === 'hidden'
      hiddenTicks = hidden ? (hiddenTicks + 1) % 5 : 0
      if (!hidden || hiddenTicks === 0) await syncNow()
      schedule()
    }, intervalMs)
  }

  async function execute(change: PendingChange) {
    if (change.kind === 'setKeywords') {
      await api.setKeywords({
        ids: change.ids,
        ...(change.add ? { add: change.add } : {}),
        ...(change.remove ? { remove: change.remove } : {}),
      })
    } else if (change.kind === 'move') await api.move({ ids: change.ids, mailboxId: change.mailboxId })
    else await api.destroy({ ids: change.ids })
  }

  /** Folds a confirmed change into the cache so the view does not flicker before the next poll. */
  function confirm(key: string, change: PendingChange) {
    store.set((s) => {
      const updated: MessageSummary[] = []
      const destroyed: string[] = []
      for (const id of change.ids) {
        const m = s.cache.messages.get(id)
        if (!m) continue
        const next = applyPending(m, [change])
        if (next) updated.push(next)
        else destroyed.push(id)
      }
      const cache = applyChanges(s.cache, { created: [], updated, destroyed, newState: s.cache.state ?? '' })
      return { cache: { ...cache, state: s.cache.state }, pending: s.pending.filter((p) => p.key !== key) }
    })
  }

  const handleOnline = () => {
    setOnline(true)
    void syncNow()
  }
  const handleOffline = () => setOnline(false)
  // Coming back to the tab: look for new mail now rather than at the next (slowed-down) poll.
  const handleVisible = () => {
    if (document.visibilityState === 'visible') void syncNow()
  }

  return {
    start() {
      if (running) return
      running = true
      if (typeof window !== 'undefined') {
        window.addEventListener('online', handleOnline)
        window.addEventListener('offline', handleOffline)
        document.addEventListener('visibilitychange', handleVisible)
      }
      void syncNow().then(schedule)
    },
    stop() {
      running = false
      unsubscribe()
      if (saveTimer) {
        // Flush the pending offline copy rather than lose the last changes.
        clearTimeout(saveTimer)
        saveTimer = undefined
        saveNow()
      }
      if (timer) clearTimeout(timer)
      if (typeof window !== 'undefined') {
        window.removeEventListener('online', handleOnline)
        window.removeEventListener('offline', handleOffline)
        document.removeEventListener('visibilitychange', handleVisible)
      }
    },
    loadMailbox,
    loadMore,
    syncNow,
    refreshMailboxes,
    async act(change, label) {
      const key = `p:${++pendingCounter}`
      store.set((s) => ({ pending: [...s.pending, { key, change }] }))
      if (!store.get().online || queue.list().length > 0) {
        // Keep order: once something is queued, later actions queue behind it.
        const action = queue.enqueue(change)
        store.set((s) => ({
          pending: s.pending.map((p) => (p.key === key ? { key: `q:${action.id}`, change } : p)),
        }))
        return
      }
      try {
        await execute(change)
        confirm(key, change)
        // Pick up the server's view (unread counts, Trash) without waiting for the next poll.
        void syncNow()
      } catch (error) {
        if (isNetworkError(error)) {
          setOnline(false)
          const action = queue.enqueue(change)
          store.set((s) => ({
            pending: s.pending.map((p) => (p.key === key ? { key: `q:${action.id}`, change } : p)),
          }))
          pushNotice(store, {
            kind: 'info',
            text: `You are offline: “${label ?? 'change'}” will be applied when you reconnect.`,
          })
        } else {
          store.set((s) => ({ pending: s.pending.filter((p) => p.key !== key) }))
          pushNotice(store, {
            kind: 'error',
            text: explainError(error, `Could not ${label ?? 'apply the change'}`).sentence,
          })
        }
      }
    },
  }
}
