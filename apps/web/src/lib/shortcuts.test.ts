import { describe, expect, it } from 'vitest'
import { SHORTCUTS, shortcutFor } from './shortcuts.ts'

describe('keyboard shortcuts', () => {
  it.each([
    ['c', 'compose'],
    ['r', 'reply'],
    ['a', 'replyAll'],
    ['f', 'forward'],
    ['j', 'next'],
    ['k', 'previous'],
    ['e', 'archive'],
    ['#', 'delete'],
    ['/', 'search'],
    ['?', 'help'],
  ])('%s → %s', (key, action) => {
    expect(shortcutFor({ key, targetTag: 'BODY' })).toBe(action)
  })

  it('does nothing while the user types in a field, except Escape', () => {
    expect(shortcutFor({ key: 'c', targetTag: 'INPUT' })).toBeUndefined()
    expect(shortcutFor({ key: 'r', targetTag: 'textarea' })).toBeUndefined()
    expect(shortcutFor({ key: 'j', targetEditable: true })).toBeUndefined()
    expect(shortcutFor({ key: 'Escape', targetTag: 'INPUT' })).toBe('close')
  })

  it('leaves browser chords alone', () => {
    expect(shortcutFor({ key: 'r', ctrlKey: true })).toBeUndefined()
    expect(shortcutFor({ key: 'f', metaKey: true })).toBeUndefined()
  })

  it('has one action per key', () => {
    expect(new Set(SHORTCUTS.map((s) => s.key)).size).toBe(SHORTCUTS.length)
  })
})
