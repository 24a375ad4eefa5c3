import type { DraftState } from '../api/types.ts'
import type { KeyValueStorage } from './offline-queue.ts'

// A local copy of the draft being written, so a reload or a crash between two server autosaves
// loses nothing. One slot per account; cleared when the message is sent or discarded.

export interface LocalDraft {
  draft: DraftState
  savedAt: number
}

const keyFor = (account: string) => `fz:draft:${account.toLowerCase()}`

export function saveLocalDraft(
  storage: KeyValueStorage,
  account: string,
  draft: DraftState,
  now = Date.now(),
): void {
  try {
    storage.setItem(keyFor(account), JSON.stringify({ draft, savedAt: now } satisfies LocalDraft))
  } catch {
    // Quota exceeded or storage disabled: the server autosave still runs.
  }
}

export function loadLocalDraft(storage: KeyValueStorage, account: string): LocalDraft | undefined {
  const raw = storage.getItem(keyFor(account))
  if (!raw) return undefined
  try {
    const value = JSON.parse(raw) as Partial<LocalDraft>
    const d = value.draft
    if (!d || typeof value.savedAt !== 'number' || !Array.isArray(d.to) || typeof d.subject !== 'string')
      return undefined
    return {
      savedAt: value.savedAt,
      draft: {
        ...d,
        cc: Array.isArray(d.cc) ? d.cc : [],
        bcc: Array.isArray(d.bcc) ? d.bcc : [],
        text: typeof d.text === 'string' ? d.text : '',
        attachments: Array.isArray(d.attachments) ? d.attachments : [],
        references: Array.isArray(d.references) ? d.references : [],
        mode: d.mode ?? 'new',
      },
    }
  } catch {
    return undefined
  }
}

export function clearLocalDraft(storage: KeyValueStorage, account: string): void {
  storage.removeItem(keyFor(account))
}
