import { describe, expect, it } from 'vitest'
import type { MessageDetail, MessageSummary } from '../api/types.ts'
import {
  clearOffline,
  loadDetail,
  loadDetails,
  loadSnapshot,
  MAX_DETAIL_CHARS,
  MAX_DETAILS,
  MAX_SUMMARIES,
  saveDetail,
  saveSnapshot,
} from './offline-cache.ts'
import { type KeyValueStorage, memoryStorage } from './offline-queue.ts'

const summary = (id: string, receivedAt: number): MessageSummary => ({
  id,
  mailboxId: 'inbox',
  receivedAt,
  keywords: [],
  to: [],
  subject: id,
  preview: '',
  hasAttachment: false,
  contentState: 'complete',
})
const detail = (id: string, text = 'hi'): MessageDetail => ({
  id,
  mailboxId: 'inbox',
  keywords: [],
  receivedAt: 1,
  placeholder: { envelope: [], parts: [] },
  text,
  resources: [],
  contentState: 'complete',
  delivery: [],
})

describe('offline cache', () => {
  it('keeps the newest summaries and the mailboxes per account', () => {
    const storage = memoryStorage()
    const many = Array.from({ length: MAX_SUMMARIES + 5 }, (_, i) => summary(`m${i}`, i))
    expect(
      saveSnapshot(storage, 'Alice@example.com', { state: '9', mailboxes: [], summaries: many }, 7),
    ).toBe(true)
    const snap = loadSnapshot(storage, 'alice@example.com')
    expect(snap?.state).toBe('9')
    expect(snap?.summaries).toHaveLength(MAX_SUMMARIES)
    expect(snap?.summaries[0]?.id).toBe(`m${MAX_SUMMARIES + 4}`)
    expect(loadSnapshot(storage, 'bob@example.net')).toBeUndefined()
  })

  it('remembers opened messages, most recent first, capped, and skips huge bodies', () => {
    const storage = memoryStorage()
    for (let i = 0; i < MAX_DETAILS + 3; i++) saveDetail(storage, 'a@b.c', detail(`d${i}`))
    saveDetail(storage, 'a@b.c', detail('d5'))
    const list = loadDetails(storage, 'a@b.c')
    expect(list).toHaveLength(MAX_DETAILS)
    expect(list[0]?.id).toBe('d5')
    expect(loadDetail(storage, 'a@b.c', 'd0')).toBeUndefined()
    expect(saveDetail(storage, 'a@b.c', detail('big', 'x'.repeat(MAX_DETAIL_CHARS + 1)))).toBe(false)
    expect(loadDetail(storage, 'a@b.c', 'big')).toBeUndefined()
  })

  it('survives a full storage by keeping fewer messages', () => {
    const inner = memoryStorage()
    const tight: KeyValueStorage = {
      ...inner,
      getItem: inner.getItem,
      removeItem: inner.removeItem,
      setItem(k, v) {
        if (v.length > 2000) throw new DOMException('quota', 'QuotaExceededError')
        inner.setItem(k, v)
      },
    }
    for (let i = 0; i < 40; i++) saveDetail(tight, 'a@b.c', detail(`d${i}`))
    expect(loadDetails(tight, 'a@b.c').length).toBeGreaterThan(0)
    expect(
      saveSnapshot(tight, 'a@b.c', {
        state: '1',
        mailboxes: [],
        summaries: Array.from({ length: 100 }, (_, i) => summary(`s${i}`, i)),
      }),
    ).toBe(false)
  })

  it('forgets everything on sign-out and ignores corrupt data', () => {
    const storage = memoryStorage()
    saveDetail(storage, 'a@b.c', detail('x'))
    saveSnapshot(storage, 'a@b.c', { state: '1', mailboxes: [], summaries: [] })
    clearOffline(storage, 'a@b.c')
    expect(loadDetails(storage, 'a@b.c')).toEqual([])
    expect(loadSnapshot(storage, 'a@b.c')).toBeUndefined()
    storage.setItem('fz:offline:a@b.c', '{"summaries":3}')
    expect(loadSnapshot(storage, 'a@b.c')).toBeUndefined()
  })
})
