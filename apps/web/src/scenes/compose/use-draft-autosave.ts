import { useCallback, useEffect, useRef, useState } from 'react'
import type { DraftState } from '../../api/types.ts'
import { isDraftEmpty } from '../../lib/compose-model.ts'
import { clearLocalDraft, saveLocalDraft } from '../../lib/local-draft.ts'
import type { KeyValueStorage } from '../../lib/offline-queue.ts'
import { useMail } from '../../state/mail-context.ts'

const AUTOSAVE_MS = 1500

export type SaveState = 'idle' | 'saving' | 'saved' | 'offline' | 'error'

/** What an edit triggers: nothing before the first change, a local copy always, a server save unless empty. */
export function autosavePlan(draft: DraftState, dirty: boolean): { local: boolean; server: boolean } {
  if (!dirty) return { local: false, server: false }
  return { local: true, server: !isDraftEmpty(draft) }
}

/** Closing the compose: flush the last edit to Drafts, or (nothing worth keeping) just forget the local copy. */
export function closePlan(draft: DraftState, dirty: boolean): 'flush' | 'forget' {
  return dirty && !isDraftEmpty(draft) ? 'flush' : 'forget'
}

/** A failed server save while the browser says it is offline is kept locally; otherwise it is an error. */
export function saveFailureState(online: boolean): SaveState {
  return online ? 'error' : 'offline'
}

/** The draft as saved: once the server gave it an id, every later save (and the outbox) reuses it. */
export function withDraftId(draft: DraftState, draftId: string | undefined): DraftState {
  return draftId ? { ...draft, draftId } : draft
}

export type CloseOutcome = 'saved' | 'keptLocally' | 'nothing'

/**
 * The draft being written: a local copy on every change (a reload loses nothing) and a debounced
 * server save, one save at a time so the first one's id is reused by the next.
 */
export function useDraftAutosave(initial: DraftState, storage: KeyValueStorage) {
  const { api, email } = useMail()
  const [draft, setDraft] = useState<DraftState>(initial)
  const [saveState, setSaveState] = useState<SaveState>('idle')
  const draftIdRef = useRef(initial.draftId)
  const saveChain = useRef<Promise<unknown>>(Promise.resolve())
  const dirty = useRef(false)

  const patch = useCallback((p: Partial<DraftState>) => {
    dirty.current = true
    setDraft((d) => ({ ...d, ...p }))
  }, [])

  const update = useCallback((fn: (d: DraftState) => DraftState) => {
    dirty.current = true
    setDraft(fn)
  }, [])

  const persist = useCallback(
    (d: DraftState): Promise<string> => {
      const run = saveChain.current.then(async () => {
        setSaveState('saving')
        const saved = await api.saveDraft(withDraftId(d, draftIdRef.current))
        draftIdRef.current = saved.draftId
        setSaveState('saved')
        return saved.draftId
      })
      saveChain.current = run.catch(() => undefined)
      return run
    },
    [api],
  )

  /** Sends `d` (saved and sent in one request) once any save still running has settled. */
  const send = useCallback(
    (d: DraftState) => {
      const run = saveChain.current.then(() =>
        api.send(withDraftId(d, draftIdRef.current), (id) => {
          draftIdRef.current = id
        }),
      )
      saveChain.current = run.catch(() => undefined)
      return run
    },
    [api],
  )

  useEffect(() => {
    const plan = autosavePlan(draft, dirty.current)
    if (plan.local) saveLocalDraft(storage, email, withDraftId(draft, draftIdRef.current))
    if (!plan.server) return
    const timer = setTimeout(() => {
      persist(draft).catch(() => setSaveState(saveFailureState(navigator.onLine)))
    }, AUTOSAVE_MS)
    return () => clearTimeout(timer)
  }, [draft, persist, storage, email])

  /** Closing keeps the message in Drafts: the last edit is flushed first. */
  const close = useCallback(async (): Promise<CloseOutcome> => {
    if (closePlan(draft, dirty.current) === 'forget') {
      clearLocalDraft(storage, email)
      return 'nothing'
    }
    try {
      await persist(draft)
      clearLocalDraft(storage, email)
      return 'saved'
    } catch {
      return 'keptLocally'
    }
  }, [draft, persist, storage, email])

  /** Forgets the local copy and deletes the server draft once its last save has settled. */
  const discard = useCallback(async (): Promise<string | undefined> => {
    clearLocalDraft(storage, email)
    const id = draftIdRef.current
    if (!id) return undefined
    await saveChain.current
    await api.deleteDraft(id).catch(() => undefined)
    return id
  }, [api, storage, email])

  return {
    draft,
    patch,
    update,
    persist,
    send,
    saveState,
    close,
    discard,
    /** The draft with the id the server gave it (for the outbox). */
    current: () => withDraftId(draft, draftIdRef.current),
    /** Forgets the local copy (sent or queued). */
    forgetLocal: () => clearLocalDraft(storage, email),
  }
}
