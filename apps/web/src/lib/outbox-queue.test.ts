import { describe, expect, it } from 'vitest'
import { newDraft } from './compose-model.ts'
import { memoryStorage } from './offline-queue.ts'
import { addToOutbox, loadOutbox, updateOutbox } from './outbox-queue.ts'

describe('offline outbox', () => {
  it('keeps messages per account, in order, across reloads, until each is removed', () => {
    const storage = memoryStorage()
    const a = { ...newDraft(), subject: 'first', to: [{ address: 'bob@example.net' }] }
    const b = { ...newDraft(), subject: 'second', to: [{ address: 'bob@example.net' }] }
    addToOutbox(storage, 'alice@example.com', a, 1)
    const items = addToOutbox(storage, 'Alice@example.com', b, 2)
    expect(items.map((i) => i.draft.subject)).toEqual(['first', 'second'])
    expect(loadOutbox(storage, 'bob@example.net')).toEqual([])
    const first = items[0]!
    updateOutbox(storage, 'alice@example.com', first.key, { ...first, error: 'refused' })
    expect(loadOutbox(storage, 'alice@example.com')[0]?.error).toBe('refused')
    updateOutbox(storage, 'alice@example.com', first.key)
    expect(loadOutbox(storage, 'alice@example.com').map((i) => i.draft.subject)).toEqual(['second'])
  })

  it('ignores a damaged stored value', () => {
    const storage = memoryStorage()
    storage.setItem('fz:outbox:alice@example.com', '{not json')
    expect(loadOutbox(storage, 'alice@example.com')).toEqual([])
    storage.setItem('fz:outbox:alice@example.com', JSON.stringify([{ key: 'x' }, 5]))
    expect(loadOutbox(storage, 'alice@example.com')).toEqual([])
  })
})
