import type { MailboxInfo, MessageDetail, MessageSummary } from '../api/types.ts'
import type { KeyValueStorage } from './offline-queue.ts'

// What stays readable offline, even after a reload: the newest message summaries, the mailboxes and
// the messages the user opened, per account, capped so localStorage's few megabytes are never exceeded.

export interface OfflineSnapshot {
  state: string | null
  mailboxes: MailboxInfo[]
  summaries: MessageSummary[]
  savedAt: number
}

export const MAX_SUMMARIES = 1000
export const MAX_DETAILS = 60
/** Bodies larger than this are not kept offline (the summary still is). */
export const MAX_DETAIL_CHARS = 200_000

const snapshotKey = (account: string) => `fz:offline:${account.toLowerCase()}`
const detailsKey = (account: string) => `fz:offline-details:${account.toLowerCase()}`

function write(storage: KeyValueStorage, key: string, value: unknown): boolean {
  try {
    storage.setItem(key, JSON.stringify(value))
    return true
  } catch {
    return false
  }
}

function read<T>(storage: KeyValueStorage, key: string, check: (v: unknown) => v is T): T | undefined {
  try {
    const raw = storage.getItem(key)
    if (!raw) return undefined
    const value: unknown = JSON.parse(raw)
    return check(value) ? value : undefined
  } catch {
    return undefined
  }
}

const isSnapshot = (v: unknown): v is OfflineSnapshot =>
  !!v &&
  typeof v === 'object' &&
  Array.isArray((v as OfflineSnapshot).summaries) &&
  Array.isArray((v as OfflineSnapshot).mailboxes)

const isDetailList = (v: unknown): v is MessageDetail[] =>
  Array.isArray(v) &&
  v.every((d) => !!d && typeof d === 'object' && typeof (d as MessageDetail).id === 'string')

/** Keeps the newest summaries (received time) and the mailboxes. */
export function saveSnapshot(
  storage: KeyValueStorage,
  account: string,
  input: { state: string | null; mailboxes: MailboxInfo[]; summaries: Iterable<MessageSummary> },
  now = Date.now(),
): boolean {
  const summaries = [...input.summaries].sort((a, b) => b.receivedAt - a.receivedAt).slice(0, MAX_SUMMARIES)
  return write(storage, snapshotKey(account), {
    state: input.state,
    mailboxes: input.mailboxes,
    summaries,
    savedAt: now,
  })
}

export function loadSnapshot(storage: KeyValueStorage, account: string): OfflineSnapshot | undefined {
  return read(storage, snapshotKey(account), isSnapshot)
}

/** Remembers an opened message (most recent first); oversized bodies are not kept. */
export function saveDetail(storage: KeyValueStorage, account: string, detail: MessageDetail): boolean {
  const size = (detail.text?.length ?? 0) + (detail.html?.length ?? 0)
  if (size > MAX_DETAIL_CHARS) return false
  const list = loadDetails(storage, account).filter((d) => d.id !== detail.id)
  const next = [detail, ...list].slice(0, MAX_DETAILS)
  // On quota errors drop the oldest half and try once more.
  return (
    write(storage, detailsKey(account), next) ||
    write(storage, detailsKey(account), next.slice(0, MAX_DETAILS / 2))
  )
}

export function loadDetails(storage: KeyValueStorage, account: string): MessageDetail[] {
  return read(storage, detailsKey(account), isDetailList) ?? []
}

export function loadDetail(storage: KeyValueStorage, account: string, id: string): MessageDetail | undefined {
  return loadDetails(storage, account).find((d) => d.id === id)
}

/** Signing out forgets the account's offline copy. */
export function clearOffline(storage: KeyValueStorage, account: string): void {
  storage.removeItem(snapshotKey(account))
  storage.removeItem(detailsKey(account))
}
