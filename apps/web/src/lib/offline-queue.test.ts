import { describe, expect, it } from 'vitest'
import { createOfflineQueue, memoryStorage, type ReplayOutcome } from './offline-queue.ts'
import type { PendingChange } from './sync-merge.ts'

const star: PendingChange = { kind: 'setKeywords', ids: ['a'], add: ['$flagged'] }
const trash: PendingChange = { kind: 'move', ids: ['b'], mailboxId: 'trash' }
const destroy: PendingChange = { kind: 'destroy', ids: ['c'] }

describe('offline queue', () => {
  it('persists actions so a reload keeps them', () => {
    const storage = memoryStorage()
    const q = createOfflineQueue(storage, 'q:alice')
    q.enqueue(star, 1)
    q.enqueue(trash, 2)
    const reloaded = createOfflineQueue(storage, 'q:alice')
    expect(reloaded.list().map((a) => a.change)).toEqual([star, trash])
    expect(createOfflineQueue(storage, 'q:bob').list()).toEqual([])
  })

  it('replays in order and empties the store', async () => {
    const storage = memoryStorage()
    const q = createOfflineQueue(storage, 'k')
    q.enqueue(star)
    q.enqueue(trash)
    const seen: PendingChange[] = []
    const result = await q.replay(async (c) => {
      seen.push(c)
      return 'ok'
    })
    expect(seen).toEqual([star, trash])
    expect(result.done).toHaveLength(2)
    expect(storage.getItem('k')).toBeNull()
  })

  it('stops at a network failure and keeps that action and the rest, in order', async () => {
    const q = createOfflineQueue(memoryStorage(), 'k')
    q.enqueue(star)
    q.enqueue(trash)
    q.enqueue(destroy)
    const outcomes: ReplayOutcome[] = ['ok', 'retry']
    const result = await q.replay(async () => outcomes.shift() ?? 'ok')
    expect(result.done.map((a) => a.change)).toEqual([star])
    expect(result.remaining.map((a) => a.change)).toEqual([trash, destroy])
    expect(q.list().map((a) => a.change)).toEqual([trash, destroy])
  })

  it('treats a thrown error as retry, never as success', async () => {
    const q = createOfflineQueue(memoryStorage(), 'k')
    q.enqueue(star)
    const result = await q.replay(async () => {
      throw new TypeError('Failed to fetch')
    })
    expect(result.done).toEqual([])
    expect(q.list()).toHaveLength(1)
  })

  it('drops actions the server rejects for good and reports why', async () => {
    const q = createOfflineQueue(memoryStorage(), 'k')
    q.enqueue(destroy)
    q.enqueue(star)
    const result = await q.replay(async (c) =>
      c.kind === 'destroy' ? { rejected: 'Message not found' } : 'ok',
    )
    expect(result.rejected).toEqual([
      { action: expect.objectContaining({ change: destroy }), message: 'Message not found' },
    ])
    expect(result.done.map((a) => a.change)).toEqual([star])
    expect(q.list()).toEqual([])
  })

  it('never runs two replays at once', async () => {
    const q = createOfflineQueue(memoryStorage(), 'k')
    q.enqueue(star)
    let calls = 0
    const exec = async () => {
      calls++
      await new Promise((r) => setTimeout(r, 5))
      return 'ok' as const
    }
    await Promise.all([q.replay(exec), q.replay(exec)])
    expect(calls).toBe(1)
  })

  it('ignores malformed stored data instead of crashing', () => {
    const storage = memoryStorage()
    storage.setItem('k', '{not json')
    expect(createOfflineQueue(storage, 'k').list()).toEqual([])
    storage.setItem(
      'k',
      JSON.stringify([
        { id: 'x', change: { kind: 'explode', ids: ['a'] } },
        { id: 'y', change: destroy },
      ]),
    )
    expect(
      createOfflineQueue(storage, 'k')
        .list()
        .map((a) => a.id),
    ).toEqual(['y'])
  })
})
