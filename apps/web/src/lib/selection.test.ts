import { describe, expect, it } from 'vitest'
import {
  clickRow,
  emptySelection,
  folderKeywordUndo,
  keywordChange,
  moveBack,
  pruneSelection,
  toggleAll,
} from './selection.ts'

const order = ['a', 'b', 'c', 'd', 'e']
const ids = (s: { ids: ReadonlySet<string> }) => [...s.ids].sort()

describe('selection', () => {
  it('a click toggles one row and sets the anchor', () => {
    const one = clickRow(emptySelection, order, 'b', false)
    expect(ids(one)).toEqual(['b'])
    expect(one.anchor).toBe('b')
    expect(ids(clickRow(one, order, 'b', false))).toEqual([])
  })

  it('shift-click selects the range from the anchor, in either direction', () => {
    const down = clickRow(clickRow(emptySelection, order, 'b', false), order, 'd', true)
    expect(ids(down)).toEqual(['b', 'c', 'd'])
    expect(down.anchor).toBe('b')
    const up = clickRow(clickRow(emptySelection, order, 'e', false), order, 'c', true)
    expect(ids(up)).toEqual(['c', 'd', 'e'])
  })

  it('shift-click on a selected row clears the range', () => {
    expect(ids(clickRow({ ids: new Set(order), anchor: 'b' }, order, 'd', true))).toEqual(['a', 'e'])
  })

  it('shift-click without an anchor (or with one no longer in view) is a plain toggle', () => {
    expect(ids(clickRow(emptySelection, order, 'c', true))).toEqual(['c'])
    expect(ids(clickRow({ ids: new Set(), anchor: 'gone' }, order, 'c', true))).toEqual(['c'])
  })

  it('select all selects the view, and again clears it', () => {
    const all = toggleAll(emptySelection, order)
    expect(ids(all)).toEqual(order)
    expect(ids(toggleAll(all, order))).toEqual([])
    expect(ids(toggleAll(emptySelection, []))).toEqual([])
  })

  it('prune keeps only rows still in view and keeps the same object when nothing left', () => {
    const sel = { ids: new Set(['a', 'x']), anchor: 'a' }
    expect(ids(pruneSelection(sel, order))).toEqual(['a'])
    const kept = { ids: new Set(['a']) }
    expect(pruneSelection(kept, order)).toBe(kept)
  })
})

describe('bulk undo', () => {
  const msgs = [
    { id: 'm1', keywords: ['$seen'], mailboxId: 'inbox' },
    { id: 'm2', keywords: [], mailboxId: 'inbox' },
    { id: 'm3', keywords: ['$flagged'], mailboxId: 'work' },
  ]

  it('mark read is one change for all; undo clears only the ones that were unread', () => {
    const { change, undo } = keywordChange(msgs, '$seen', true)
    expect(change).toEqual({ kind: 'setKeywords', ids: ['m1', 'm2', 'm3'], add: ['$seen'] })
    expect(undo).toEqual({ kind: 'setKeywords', ids: ['m2', 'm3'], remove: ['$seen'] })
  })

  it('unstar: undo stars again only what was starred; no change, no undo', () => {
    expect(keywordChange(msgs, '$flagged', false).undo).toEqual({
      kind: 'setKeywords',
      ids: ['m3'],
      add: ['$flagged'],
    })
    expect(keywordChange([msgs[0] as (typeof msgs)[0]], '$seen', true).undo).toBeUndefined()
  })

  it('a move goes back folder by folder, skipping messages already in the target', () => {
    expect(moveBack(msgs, 'work')).toEqual([{ kind: 'move', ids: ['m1', 'm2'], mailboxId: 'inbox' }])
    expect(moveBack(msgs, 'archive')).toEqual([
      { kind: 'move', ids: ['m1', 'm2'], mailboxId: 'inbox' },
      { kind: 'move', ids: ['m3'], mailboxId: 'work' },
    ])
  })
})

describe('folder-wide undo (from the ids the server flipped)', () => {
  it('mark read: undo marks unread only the flipped ones, never the whole folder', () => {
    expect(folderKeywordUndo({ add: ['$seen'] }, ['m2', 'm3'])).toEqual({
      kind: 'setKeywords',
      ids: ['m2', 'm3'],
      remove: ['$seen'],
    })
  })

  it('unstar: undo stars again the flipped ones', () => {
    expect(folderKeywordUndo({ remove: ['$flagged'] }, ['m3'])).toEqual({
      kind: 'setKeywords',
      ids: ['m3'],
      add: ['$flagged'],
    })
  })

  it('nothing flipped, or a change with no single opposite: no undo', () => {
    expect(folderKeywordUndo({ add: ['$seen'] }, [])).toBeUndefined()
    expect(folderKeywordUndo({ add: ['$seen'], remove: ['$flagged'] }, ['m1'])).toBeUndefined()
    expect(folderKeywordUndo({}, ['m1'])).toBeUndefined()
  })
})
