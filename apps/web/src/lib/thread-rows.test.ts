import { describe, expect, it } from 'vitest'
import { groupByThread } from './thread-rows.ts'

const m = (
  id: string,
  threadId: string | null,
  from: string,
  keywords: string[] = ['$seen'],
  hasAttachment = false,
) => ({
  id,
  threadId,
  keywords,
  from: { name: from, address: `${from.toLowerCase()}@example.org` },
  hasAttachment,
})

describe('one row per conversation (issue 16)', () => {
  it('groups newest first by thread: count, participants oldest first, unread/starred/attachment of any', () => {
    const rows = groupByThread([
      m('m4', 't1', 'Bobby', []),
      m('m3', 't2', 'Carol'),
      m('m2', 't1', 'Alice', ['$seen', '$flagged']),
      m('m1', 't1', 'Bobby', ['$seen'], true),
    ])
    expect(rows.map((r) => [r.message.id, r.count])).toEqual([
      ['m4', 3],
      ['m3', 1],
    ])
    expect(rows[0]).toMatchObject({
      participants: ['Bobby', 'Alice'],
      unread: true,
      starred: true,
      hasAttachment: true,
    })
    expect(rows[1]).toMatchObject({
      participants: ['Carol'],
      unread: false,
      starred: false,
      hasAttachment: false,
    })
  })

  it('keeps a message without a thread on its own row', () => {
    const rows = groupByThread([m('a', null, 'Bobby'), m('b', null, 'Bobby')])
    expect(rows.map((r) => r.count)).toEqual([1, 1])
  })
})
