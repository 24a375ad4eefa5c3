import { insertMessage } from '@federizer/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errorOf, type Harness, startApi } from './harness.ts'

// The api half of conversations, bulk work and search (issue 16): message.threads, message.bulkInMailbox,
// search operators, nested folders and the conversation setting, each with its refusals.

let h: Harness
const alice = 'alice@example.com'
const bob = 'bob@example.com'

beforeAll(async () => {
  h = await startApi()
  const mail = (n: number, extra: [string, string][] = []) => ({
    envelope: [
      {
        headers: [
          ['From', 'Carol <carol@example.net>'],
          ['To', alice],
          ['Subject', n === 2 ? 'Re: Plans' : `Plans ${n}`],
          ['Message-ID', `<c${n}@example.net>`],
          ...extra,
          ['Content-Type', 'multipart/mixed'],
        ] as [string, string][],
      },
    ],
    parts: [],
  })
  await insertMessage(h.api.ctx.db, {
    account: alice,
    mailboxRole: 'inbox',
    placeholder: mail(1),
    receivedAt: 1000,
  })
  await insertMessage(h.api.ctx.db, {
    account: alice,
    mailboxRole: 'inbox',
    placeholder: mail(2, [['In-Reply-To', '<c1@example.net>']]),
    receivedAt: 2000,
  })
  await insertMessage(h.api.ctx.db, {
    account: alice,
    mailboxRole: 'inbox',
    placeholder: mail(3),
    receivedAt: 1500,
  })
})
afterAll(async () => h?.close())

describe('conversations, bulk and search over tRPC', () => {
  it('lists threads with counts and pages; another account sees none of them', async () => {
    const a = await h.client(alice)
    const inbox = (await a.mailbox.list.query()).find((m) => m.role === 'inbox')?.id ?? ''
    const page = await a.message.threads.query({ mailboxId: inbox, limit: 1 })
    expect(page.items.map((t) => [t.count, t.messages.at(-1)?.subject])).toEqual([[2, 'Re: Plans']])
    const next = await a.message.threads.query({ mailboxId: inbox, limit: 1, cursor: page.nextCursor ?? '' })
    expect(next.items.map((t) => t.count)).toEqual([1])
    const b = await h.client(bob)
    expect((await errorOf(b.message.threads.query({ mailboxId: inbox }))).code).toBe('NOT_FOUND')
  })

  it('searches with operators and says which operator it did not understand', async () => {
    const a = await h.client(alice)
    expect((await a.message.search.query({ query: 'subject:plans is:unread' })).length).toBe(3)
    expect((await a.message.search.query({ query: 'from:carol before:1970-01-01' })).length).toBe(0)
    expect(await errorOf(a.message.search.query({ query: 'is:pinned' }))).toEqual({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/"is:pinned" is not a search operator/),
    })
    expect((await errorOf(a.message.search.query({ query: 'in:nowhere' }))).message).toMatch(
      /no folder named/,
    )
  })

  it('marks every message of a folder read in one request, and undoes exactly the ones it flipped', async () => {
    const a = await h.client(alice)
    const inbox = (await a.mailbox.list.query()).find((m) => m.role === 'inbox')
    const unread = async () => (await a.mailbox.list.query()).find((m) => m.role === 'inbox')?.unread
    const [readBefore] = (await a.message.list.query({ mailboxId: inbox?.id ?? '' })).items
    await a.message.setKeywords.mutate({ ids: [readBefore?.id ?? ''], add: ['$seen'] })
    const done = await a.message.bulkInMailbox.mutate({
      mailboxId: inbox?.id ?? '',
      action: { kind: 'setKeywords', add: ['$seen'] },
    })
    expect(done.ids).toHaveLength(3)
    expect(done.flipped).toHaveLength(2)
    expect(done.flipped).not.toContain(readBefore?.id)
    expect(await unread()).toBe(0)
    await a.message.setKeywords.mutate({ ids: done.flipped, remove: ['$seen'] })
    expect(await unread()).toBe(2)
    await a.message.setKeywords.mutate({ ids: [readBefore?.id ?? ''], remove: ['$seen'] })
    expect(await unread()).toBe(3)
    expect(
      (
        await errorOf(
          a.message.bulkInMailbox.mutate({ mailboxId: inbox?.id ?? '', action: { kind: 'setKeywords' } }),
        )
      ).message,
    ).toMatch(/add or remove at least one keyword/)
    const b = await h.client(bob)
    expect(
      (
        await errorOf(
          b.message.bulkInMailbox.mutate({ mailboxId: inbox?.id ?? '', action: { kind: 'destroy' } }),
        )
      ).code,
    ).toBe('NOT_FOUND')
  })

  it('nests folders and stores the conversation setting', async () => {
    const a = await h.client(alice)
    const work = await a.mailbox.create.mutate({ name: 'Work' })
    const sub = await a.mailbox.create.mutate({ name: 'Clients', parentId: work.id })
    expect((await a.mailbox.list.query()).find((m) => m.id === sub.id)?.parentId).toBe(work.id)
    expect((await errorOf(a.mailbox.move.mutate({ id: work.id, parentId: sub.id }))).message).toMatch(
      /inside itself/,
    )
    await a.mailbox.move.mutate({ id: sub.id, parentId: null })
    expect((await a.settings.get.query()).conversationView).toBe(true)
    await a.settings.setConversationView.mutate({ on: false })
    expect((await a.settings.get.query()).conversationView).toBe(false)
  })
})
