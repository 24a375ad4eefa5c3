import type { PendingChange } from './sync-merge.ts'

// Actions taken while offline (or while a request is failing) wait here, persisted so that a reload
// keeps them, and replay in order once the network is back.

export interface QueuedAction {
  id: string
  change: PendingChange
  queuedAt: number
}

export interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

export interface ReplayResult {
  done: QueuedAction[]
  /** Rejected by the server for good (e.g. the message is gone): dropped, shown to the user. */
  rejected: Array<{ action: QueuedAction; message: string }>
  /** Still waiting because the network failed again. */
  remaining: QueuedAction[]
}

/** The error classification replay needs: network-ish errors keep the action queued. */
export type ReplayOutcome = 'ok' | 'retry' | { rejected: string }

export interface OfflineQueue {
  list(): QueuedAction[]
  enqueue(change: PendingChange, now?: number): QueuedAction
  /** Runs queued actions in order; stops at the first one that should be retried. */
  replay(execute: (change: PendingChange) => Promise<ReplayOutcome>): Promise<ReplayResult>
  clear(): void
}

function isPendingChange(value: unknown): value is PendingChange {
  if (!value || typeof value !== 'object') return false
  const v = value as Record<string, unknown>
  if (!Array.isArray(v.ids) || !v.ids.every((id) => typeof id === 'string')) return false
  return (
    v.kind === 'destroy' ||
    (v.kind === 'move' && typeof v.mailboxId === 'string') ||
    (v.kind === 'setKeywords' &&
      (v.add === undefined || Array.isArray(v.add)) &&
      (v.remove === undefined || Array.isArray(v.remove)))
  )
}

/** Reads what is stored, discarding anything malformed rather than crashing the app on start. */
function load(storage: KeyValueStorage, key: string): QueuedAction[] {
  const raw = storage.getItem(key)
  if (!raw) return []
  try {
    const parsed: unknown = JSON.parse(raw)
    if (!Array.isArray(parsed)) return []
    return parsed.filter(
      (a): a is QueuedAction =>
        !!a &&
        typeof a === 'object' &&
        typeof (a as QueuedAction).id === 'string' &&
        isPendingChange((a as QueuedAction).change),
    )
  } catch {
    return []
  }
}

/** A queue persisted under `key` (one per account, so two users on one browser never mix). */
export function createOfflineQueue(storage: KeyValueStorage, key: string): OfflineQueue {
  let actions = load(storage, key)
  let counter = 0
  const save = () => {
    if (actions.length === 0) storage.removeItem(key)
    else storage.setItem(key, JSON.stringify(actions))
  }
  let running: Promise<ReplayResult> | null = null

  return {
    list: () => [...actions],
    enqueue(change, now = Date.now()) {
      const action = { id: `${now.toString(36)}-${(counter++).toString(36)}`, change, queuedAt: now }
      actions = [...actions, action]
      save()
      return action
    },
    replay(execute) {
      // One replay at a time: two overlapping "online" events must not send an action twice.
      if (running) return running
      running = (async () => {
        const result: ReplayResult = { done: [], rejected: [], remaining: [] }
        while (actions.length > 0) {
          const action = actions[0] as QueuedAction
          let outcome: ReplayOutcome
          try {
            outcome = await execute(action.change)
          } catch {
            outcome = 'retry'
          }
          if (outcome === 'retry') break
          actions = actions.slice(1)
          save()
          if (outcome === 'ok') result.done.push(action)
          else result.rejected.push({ action, message: outcome.rejected })
        }
        result.remaining = [...actions]
        return result
      })().finally(() => {
        running = null
      })
      return running
    },
    clear() {
      actions = []
      save()
    },
  }
}

/** In-memory storage (tests, private windows where localStorage throws). */
export function memoryStorage(): KeyValueStorage {
  const map = new Map<string, string>()
  return {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  }
}
