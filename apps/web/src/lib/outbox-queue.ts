import type { DraftState } from '../api/types.ts'
import type { KeyValueStorage } from './offline-queue.ts'

// Messages sent while offline: kept in this browser (per account) and sent, in order, when the
// connection returns. Each one stays visible until the server has it.

export interface OutboxItem {
  key: string
  draft: DraftState
  /** Epoch ms when Send was pressed. */
  queuedAt: number
  /** The last reason a send from the outbox did not go through (other than being offline). */
  error?: string
}

const keyFor = (account: string) => `fz:outbox:${account.toLowerCase()}`

export function loadOutbox(storage: KeyValueStorage, account: string): OutboxItem[] {
  try {
    const value = JSON.parse(storage.getItem(keyFor(account)) ?? '[]') as unknown
    if (!Array.isArray(value)) return []
    return value.filter(
      (i): i is OutboxItem =>
        typeof i === 'object' &&
        i !== null &&
        typeof (i as OutboxItem).key === 'string' &&
        typeof (i as OutboxItem).draft?.subject === 'string' &&
        Array.isArray((i as OutboxItem).draft?.to),
    )
  } catch {
    return []
  }
}

function save(storage: KeyValueStorage, account: string, items: OutboxItem[]): void {
  if (items.length === 0) storage.removeItem(keyFor(account))
  else storage.setItem(keyFor(account), JSON.stringify(items))
}

/** Adds a message to the outbox; returns the new list. */
export function addToOutbox(
  storage: KeyValueStorage,
  account: string,
  draft: DraftState,
  now = Date.now(),
): OutboxItem[] {
  const items = [
    ...loadOutbox(storage, account),
    { key: `o${now.toString(36)}${Math.random().toString(36).slice(2, 6)}`, draft, queuedAt: now },
  ]
  save(storage, account, items)
  return items
}

/** Replaces one item (e.g. to record an error) or removes it (`next` undefined); returns the new list. */
export function updateOutbox(
  storage: KeyValueStorage,
  account: string,
  key: string,
  next?: OutboxItem,
): OutboxItem[] {
  const items = loadOutbox(storage, account).flatMap((i) => (i.key === key ? (next ? [next] : []) : [i]))
  save(storage, account, items)
  return items
}
