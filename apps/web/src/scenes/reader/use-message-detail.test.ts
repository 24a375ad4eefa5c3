import { describe, expect, it } from 'vitest'
import type { MessageDetail, MessageSummary } from '../../api/types.ts'
import { loadDetail, saveDetail } from '../../lib/offline-cache.ts'
import { memoryStorage } from '../../lib/offline-queue.ts'
import {
  loadMessageDetail,
  messageViewOf,
  REFETCH_MS,
  refetchInterval,
  shouldMarkRead,
} from './use-message-detail.ts'

const detail = (over: Partial<MessageDetail> = {}): MessageDetail => ({
  id: 'm1',
  mailboxId: 'inbox',
  keywords: [],
  receivedAt: 1,
  placeholder: { envelope: [], parts: [] } as unknown as MessageDetail['placeholder'],
  text: 'hi',
  resources: [],
  contentState: 'complete',
  delivery: [],
  ...over,
})
const summary = (keywords: string[]): MessageSummary => ({
  id: 'm1',
  mailboxId: 'inbox',
  receivedAt: 1,
  keywords,
  to: [],
  subject: 's',
  preview: '',
  hasAttachment: false,
  contentState: 'complete',
})

describe('message detail decisions', () => {
  it('refetches while content arrives or a delivery is in flight, and stops when final', () => {
    expect(refetchInterval(undefined)).toBe(false)
    expect(refetchInterval(detail())).toBe(false)
    expect(refetchInterval(detail({ contentState: 'arriving' }))).toBe(REFETCH_MS)
    for (const state of ['held', 'queued', 'delayed'] as const)
      expect(refetchInterval(detail({ delivery: [{ recipient: 'b@x', state }] }))).toBe(REFETCH_MS)
    for (const state of ['delivered', 'failed', 'bounced', 'cancelled'] as const)
      expect(refetchInterval(detail({ delivery: [{ recipient: 'b@x', state }] }))).toBe(false)
  })

  it('keeps a copy of what it loaded and reads it back only when the network is down', async () => {
    const storage = memoryStorage()
    const got = await loadMessageDetail({ details: async () => [detail()] }, storage, 'a@x', 'm1')
    expect(got.id).toBe('m1')
    expect(loadDetail(storage, 'a@x', 'm1')?.text).toBe('hi')

    const offline = { details: async () => Promise.reject(new TypeError('Failed to fetch')) }
    expect((await loadMessageDetail(offline, storage, 'a@x', 'm1')).text).toBe('hi')
    await expect(loadMessageDetail(offline, storage, 'a@x', 'other')).rejects.toThrow('Failed to fetch')
  })

  it('does not hide a server refusal or a vanished message behind the offline copy', async () => {
    const storage = memoryStorage()
    saveDetail(storage, 'a@x', detail())
    const refused = { details: async () => Promise.reject(new Error('FORBIDDEN')) }
    await expect(loadMessageDetail(refused, storage, 'a@x', 'm1')).rejects.toThrow('FORBIDDEN')
    await expect(loadMessageDetail({ details: async () => [] }, storage, 'a@x', 'm1')).rejects.toThrow(
      'This message no longer exists.',
    )
  })

  it('turns a damaged placeholder into an error value instead of throwing', () => {
    const view = messageViewOf(detail(), (h) => h)
    expect(view).toBeInstanceOf(Error)
  })

  it('marks an unread message read once, and never a read one', () => {
    expect(shouldMarkRead(summary([]), undefined)).toBe(true)
    expect(shouldMarkRead(summary([]), 'm1')).toBe(false)
    expect(shouldMarkRead(summary(['$seen']), undefined)).toBe(false)
    expect(shouldMarkRead(undefined, undefined)).toBe(false)
  })
})
