import { describe, expect, it } from 'vitest'
import { conversationOrder, startsExpanded } from './conversation.ts'

const m = (id: string, receivedAt: number, seen = true) => ({
  id,
  receivedAt,
  keywords: seen ? ['$seen'] : [],
})

describe('conversation view decisions (issue 16)', () => {
  it('orders the cards oldest first, stable for equal times', () => {
    expect(conversationOrder([m('c', 30), m('b', 10), m('a', 10)]).map((x) => x.id)).toEqual(['a', 'b', 'c'])
  })

  it('opens the current, the newest and unread messages; older read ones start collapsed', () => {
    const items = conversationOrder([m('m1', 1), m('m2', 2), m('m3', 3, false), m('m4', 4)])
    const context = { currentId: 'm2', newestId: items.at(-1)?.id }
    expect(items.map((x) => startsExpanded(x, context))).toEqual([false, true, true, true])
    expect(startsExpanded(m('m1', 1), { currentId: 'm4', newestId: 'm4' })).toBe(false)
  })
})
