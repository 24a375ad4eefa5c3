import { describe, expect, it } from 'vitest'
import {
  applyChanges,
  applyPending,
  emptyCache,
  mailboxView,
  newArrivals,
  resetCache,
  type SyncedMessage,
  unreadCounts,
  upsertMessages,
} from './sync-merge.ts'

const msg = (id: string, receivedAt: number, extra: Partial<SyncedMessage> = {}): SyncedMessage => ({
  id,
  mailboxId: 'inbox',
  receivedAt,
  keywords: [],
  ...extra,
})

describe('sync merge', () => {
  it('applies created, updated and destroyed and records the new state', () => {
    let cache = upsertMessages(emptyCache(), [msg('a', 1), msg('b', 2)])
    cache = applyChanges(cache, {
      created: [msg('c', 3)],
      updated: [msg('a', 1, { keywords: ['$seen'] })],
      destroyed: ['b'],
      newState: '7',
    })
    expect(cache.state).toBe('7')
    expect(mailboxView(cache, 'inbox').map((m) => m.id)).toEqual(['c', 'a'])
    expect(cache.messages.get('a')?.keywords).toEqual(['$seen'])
  })

  it('lets destroyed win when a message is created and destroyed within one page', () => {
    const cache = applyChanges(emptyCache(), {
      created: [msg('x', 1)],
      updated: [],
      destroyed: ['x'],
      newState: '2',
    })
    expect(cache.messages.size).toBe(0)
  })

  it('is idempotent: replaying the same page gives the same cache', () => {
    const page = { created: [msg('x', 1)], updated: [msg('y', 2)], destroyed: ['z'], newState: '3' }
    const once = applyChanges(upsertMessages(emptyCache(), [msg('z', 0)]), page)
    const twice = applyChanges(once, page)
    expect([...twice.messages.keys()].sort()).toEqual([...once.messages.keys()].sort())
    expect(twice.state).toBe('3')
  })

  it('does not mutate the previous cache (React state stays consistent)', () => {
    const before = upsertMessages(emptyCache(), [msg('a', 1)])
    applyChanges(before, { created: [msg('b', 2)], updated: [], destroyed: ['a'], newState: '9' })
    expect([...before.messages.keys()]).toEqual(['a'])
    expect(before.state).toBeNull()
  })

  it('moves a message between mailbox views when its mailbox changes', () => {
    let cache = upsertMessages(emptyCache(), [msg('a', 1)])
    cache = applyChanges(cache, {
      created: [],
      updated: [msg('a', 1, { mailboxId: 'archive' })],
      destroyed: [],
      newState: '2',
    })
    expect(mailboxView(cache, 'inbox')).toEqual([])
    expect(mailboxView(cache, 'archive').map((m) => m.id)).toEqual(['a'])
  })

  it('resets on cannotCalculateChanges', () => {
    const cache = resetCache('42', [msg('n', 5)])
    expect(cache.state).toBe('42')
    expect([...cache.messages.keys()]).toEqual(['n'])
  })

  it('overlays pending changes: keywords, move and destroy', () => {
    const m = msg('a', 1, { keywords: ['$flagged'] })
    expect(
      applyPending(m, [{ kind: 'setKeywords', ids: ['a'], add: ['$seen'], remove: ['$flagged'] }])?.keywords,
    ).toEqual(['$seen'])
    expect(applyPending(m, [{ kind: 'move', ids: ['a'], mailboxId: 'trash' }])?.mailboxId).toBe('trash')
    expect(applyPending(m, [{ kind: 'destroy', ids: ['a'] }])).toBeUndefined()
    expect(applyPending(m, [{ kind: 'destroy', ids: ['other'] }])).toBe(m)
  })

  it('counts unread per mailbox and lists new arrivals', () => {
    const before = upsertMessages(emptyCache(), [msg('a', 1, { keywords: ['$seen'] }), msg('b', 2)])
    const after = applyChanges(before, { created: [msg('c', 3)], updated: [], destroyed: [], newState: '2' })
    expect(unreadCounts(after).get('inbox')).toBe(2)
    expect(unreadCounts(after, [{ kind: 'setKeywords', ids: ['b'], add: ['$seen'] }]).get('inbox')).toBe(1)
    expect(newArrivals(before, after).map((m) => m.id)).toEqual(['c'])
  })
})
