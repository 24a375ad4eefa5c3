import { describe, expect, it } from 'vitest'
import { newDraft } from '../../lib/compose-model.ts'
import { autosavePlan, closePlan, saveFailureState, withDraftId } from './use-draft-autosave.ts'

const written = { ...newDraft(), subject: 'Lunch?' }
const signatureOnly = { ...newDraft(), text: '\n\n-- \nAlice', signature: '\n\n-- \nAlice' }

describe('draft autosave decisions', () => {
  it('does nothing before the first edit', () => {
    expect(autosavePlan(written, false)).toEqual({ local: false, server: false })
  })

  it('keeps a local copy of every edit and saves on the server only what has content', () => {
    expect(autosavePlan(written, true)).toEqual({ local: true, server: true })
    expect(autosavePlan(newDraft(), true)).toEqual({ local: true, server: false })
    expect(autosavePlan(signatureOnly, true)).toEqual({ local: true, server: false })
  })

  it('flushes on close only an edited draft with content', () => {
    expect(closePlan(written, true)).toBe('flush')
    expect(closePlan(written, false)).toBe('forget')
    expect(closePlan(signatureOnly, true)).toBe('forget')
  })

  it('calls a failed save offline when the browser is offline, an error otherwise', () => {
    expect(saveFailureState(false)).toBe('offline')
    expect(saveFailureState(true)).toBe('error')
  })

  it('reuses the id the server gave the draft, and leaves a new draft without one', () => {
    expect(withDraftId(written, 'd1')).toEqual({ ...written, draftId: 'd1' })
    expect(withDraftId({ ...written, draftId: 'old' }, 'd2').draftId).toBe('d2')
    expect(withDraftId(written, undefined)).toBe(written)
  })
})
