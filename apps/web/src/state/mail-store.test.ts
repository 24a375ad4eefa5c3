import { describe, expect, it } from 'vitest'
import { createMailStore, pushNotice } from './mail-store.ts'

describe('notices', () => {
  it('a newer action on the same messages removes the stale Undo (issue 16 bug 11: Undo after Restore)', () => {
    const store = createMailStore()
    pushNotice(store, {
      kind: 'info',
      text: 'Message moved to Trash.',
      about: ['m1'],
      action: { label: 'Undo', run: () => {} },
    })
    pushNotice(store, {
      kind: 'info',
      text: 'Message archived.',
      about: ['m2'],
      action: { label: 'Undo', run: () => {} },
    })
    pushNotice(store, { kind: 'success', text: 'Restored from Trash.', about: ['m1'] })
    expect(store.get().notices.map((n) => n.text)).toEqual(['Message archived.', 'Restored from Trash.'])
  })
})
