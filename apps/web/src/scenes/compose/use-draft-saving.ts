import { useCallback, useEffect, useRef, useState } from 'react'
import type { DraftState } from '../../api/types.ts'
import { useMail } from '../../app/mail-context.ts'
import { isDraftEmpty } from '../../lib/compose-model.ts'
import { saveLocalDraft } from '../../lib/local-draft.ts'
import type { KeyValueStorage } from '../../lib/offline-queue.ts'

const AUTOSAVE_MS = 1500

export type SaveState = 'idle' | 'saving' | 'saved' | 'offline' | 'error'

/**
 * The draft being written: a local copy on every change (a reload loses nothing) and a debounced
 * server save, one save at a time so the first one's id is reused by the next.
 */
export function useDraftSaving(initial: DraftState, storage: KeyValueStorage) {
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
        const saved = await api.saveDraft({
          ...d,
          ...(draftIdRef.current ? { draftId: draftIdRef.current } : {}),
        })
        draftIdRef.current = saved.draftId
        setSaveState('saved')
        return saved.draftId
      })
      saveChain.current = run.catch(() => undefined)
      return run
    },
    [api],
  )

  useEffect(() => {
    if (!dirty.current) return
    const withId = draftIdRef.current ? { ...draft, draftId: draftIdRef.current } : draft
    saveLocalDraft(storage, email, withId)
    if (isDraftEmpty(draft)) return
    const timer = setTimeout(() => {
      persist(draft).catch(() => setSaveState(navigator.onLine ? 'error' : 'offline'))
    }, AUTOSAVE_MS)
    return () => clearTimeout(timer)
  }, [draft, persist, storage, email])

  return {
    draft,
    patch,
    update,
    persist,
    saveState,
    /** True once the user changed something. */
    isDirty: () => dirty.current,
    draftId: () => draftIdRef.current,
    /** Resolves when the last save has settled. */
    settled: () => saveChain.current,
  }
}
