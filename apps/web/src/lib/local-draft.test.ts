import { describe, expect, it } from 'vitest'
import { newDraft } from './compose-model.ts'
import { clearLocalDraft, loadLocalDraft, saveLocalDraft } from './local-draft.ts'
import { memoryStorage } from './offline-queue.ts'

describe('local draft copy', () => {
  it('survives a reload and is per account', () => {
    const storage = memoryStorage()
    const draft = { ...newDraft(), subject: 'Hi', to: [{ address: 'bob@example.net' }], draftId: 'd1' }
    saveLocalDraft(storage, 'Alice@example.com', draft, 5)
    expect(loadLocalDraft(storage, 'alice@example.com')).toEqual({ draft, savedAt: 5 })
    expect(loadLocalDraft(storage, 'bob@example.net')).toBeUndefined()
    clearLocalDraft(storage, 'alice@example.com')
    expect(loadLocalDraft(storage, 'alice@example.com')).toBeUndefined()
  })

  it('ignores corrupt data', () => {
    const storage = memoryStorage()
    storage.setItem('fz:draft:a@b.c', '{"draft":{"to":"nope"},"savedAt":1}')
    expect(loadLocalDraft(storage, 'a@b.c')).toBeUndefined()
    storage.setItem('fz:draft:a@b.c', 'not json')
    expect(loadLocalDraft(storage, 'a@b.c')).toBeUndefined()
  })
})
