import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import { ConflictError, InvalidInputError } from '../src/errors.ts'
import { createMailbox, listMailboxes, moveMailbox, removeMailbox } from '../src/mailboxes.ts'
import { searchMessages } from '../src/message-list.ts'
import { insertMessage, moveMessages, setKeywords } from '../src/messages.ts'
import { indexMessageText } from '../src/search.ts'
import { getConversationView, setConversationView } from '../src/settings.ts'
import { listThreads, mailboxMessageIds } from '../src/threads.ts'
import { placeholder, tempDb } from './helpers.ts'

let db: Db
let cleanup: () => Promise<void>
const alice = 'alice@example.com'
const DAY = 86_400
const T0 = Date.UTC(2026, 10, 30) / 1000 // 2026-11-30

beforeEach(async () => {
  ;({ db, cleanup } = await tempDb())
})
afterEach(async () => cleanup())

async function add(n: number, extra: Partial<Parameters<typeof placeholder>[0]> & { at?: number } = {}) {
  const { at, ...rest } = extra
  const { id } = await insertMessage(db, {
    account: alice,
    mailboxRole: 'inbox',
    placeholder: placeholder({
      from: 'Bob Builder <bob@example.net>',
      to: ['Alice <alice@example.com>'],
      subject: `Message ${n}`,
      messageId: `<m${n}@example.net>`,
      text: `body ${n}`,
      ...rest,
    }),
    receivedAt: at ?? T0 + n,
  })
  await indexMessageText(db, { id, text: `body ${n} ${rest.subject ?? ''}` })
  return id
}

const ids = async (query: string, mailboxId?: string) =>
  (await searchMessages(db, { account: alice, query, limit: 50, ...(mailboxId ? { mailboxId } : {}) })).map(
    (m) => m.id,
  )

describe('search operators', () => {
  it('applies from:, to:, subject:, has:, is:, in:, before: and after: with the full-text words', async () => {
    const report = await add(1, {
      subject: 'Quarterly report',
      attachment: { bytes: 'PDF', filename: 'q.pdf' },
    })
    const lunch = await add(2, {
      subject: 'Lunch on Friday',
      from: 'Carol <carol@example.org>',
      at: T0 + 2 * DAY,
    })
    const garden = await add(3, {
      subject: 'Gardening report',
      to: ['Dave <dave@example.org>'],
      at: T0 + 4 * DAY,
    })
    await setKeywords(db, alice, { ids: [report], add: ['$seen', '$flagged'] })
    await setKeywords(db, alice, { ids: [garden], add: ['$seen'] })
    const folder = await createMailbox(db, alice, 'Old projects')
    await moveMessages(db, alice, { ids: [garden], mailboxId: folder.id })

    expect(await ids('report')).toEqual([garden, report])
    expect(await ids('from:carol')).toEqual([lunch])
    expect(await ids('from:"bob builder"')).toEqual([garden, report])
    expect(await ids('to:dave')).toEqual([garden])
    expect(await ids('subject:quarterly')).toEqual([report])
    expect(await ids('subject:"gardening rep"')).toEqual([garden])
    expect(await ids('subject:friday report')).toEqual([])
    expect(await ids('has:attachment')).toEqual([report])
    expect(await ids('is:unread')).toEqual([lunch])
    expect(await ids('is:starred')).toEqual([report])
    expect(await ids('report in:"old projects"')).toEqual([garden])
    expect(await ids('in:inbox')).toEqual([lunch, report])
    expect(await ids('before:2026-12-02')).toEqual([report])
    expect(await ids('after:2026-12-02')).toEqual([garden, lunch])
    expect(await ids('after:2026-12-02 before:2026-12-03')).toEqual([lunch])
    // A LIKE wildcard typed by a person is a character, not a wildcard.
    expect(await ids('from:%')).toEqual([])
  })

  it('refuses an unknown folder and a query of unknown operators, saying what to type', async () => {
    await add(1)
    await expect(ids('in:nowhere')).rejects.toThrow(/no folder named "nowhere"/)
    await expect(ids('is:pinned')).rejects.toBeInstanceOf(InvalidInputError)
    await expect(ids('is:pinned')).rejects.toThrow(/"is:pinned" is not a search operator/)
    expect(await ids('   ')).toEqual([])
  })
})

describe('listThreads', () => {
  it('groups a mailbox by conversation, newest conversation first, with counts, senders and paging', async () => {
    const a1 = await add(1, { subject: 'Plans', messageId: '<a1@example.net>' })
    await add(2, { subject: 'Other', messageId: '<b1@example.net>' })
    const a2 = await add(3, {
      subject: 'Re: Plans',
      messageId: '<a2@example.net>',
      inReplyTo: '<a1@example.net>',
      from: 'Carol <carol@example.org>',
    })
    await add(4, { subject: 'Third', messageId: '<c1@example.net>' })
    await setKeywords(db, alice, { ids: [a1], add: ['$seen'] })
    const inbox = (await listMailboxes(db, alice)).find((m) => m.role === 'inbox')?.id ?? ''

    const first = await listThreads(db, { account: alice, mailboxId: inbox, limit: 2 })
    expect(first.items.map((t) => [t.messages.at(-1)?.subject, t.count, t.unread])).toEqual([
      ['Third', 1, 1],
      ['Re: Plans', 2, 1],
    ])
    expect(first.items[1]?.messages.map((m) => m.id)).toEqual([a1, a2])
    expect(first.items[1]?.participants.map((p) => p.address)).toEqual([
      'bob@example.net',
      'carol@example.org',
    ])
    expect(first.nextCursor).not.toBeNull()
    const second = await listThreads(db, {
      account: alice,
      mailboxId: inbox,
      limit: 2,
      cursor: first.nextCursor ?? '',
    })
    expect(second.items.map((t) => t.messages[0]?.subject)).toEqual(['Other'])
    expect(second.nextCursor).toBeNull()
    await expect(
      listThreads(db, { account: alice, mailboxId: inbox, limit: 2, cursor: 'nope' }),
    ).rejects.toThrow(/thread cursor/)
    expect(await mailboxMessageIds(db, alice, inbox, 10)).toHaveLength(4)
    expect(await mailboxMessageIds(db, 'eve@example.com', inbox, 10)).toEqual([])
  })
})

describe('nested folders and the conversation setting', () => {
  it('nests folders, refuses cycles and role parents, and removes only leaves', async () => {
    const work = await createMailbox(db, alice, 'Work')
    const sub = await createMailbox(db, alice, 'Clients', work.id)
    const deeper = await createMailbox(db, alice, 'Acme')
    await moveMailbox(db, alice, deeper.id, sub.id)
    const boxes = await listMailboxes(db, alice)
    expect(boxes.find((b) => b.id === deeper.id)?.parentId).toBe(sub.id)
    await expect(moveMailbox(db, alice, work.id, deeper.id)).rejects.toThrow(/inside itself/)
    const inbox = boxes.find((b) => b.role === 'inbox')?.id ?? ''
    await expect(moveMailbox(db, alice, work.id, inbox)).rejects.toThrow(/cannot be put inside Inbox/)
    await expect(moveMailbox(db, alice, inbox, null)).rejects.toBeInstanceOf(ConflictError)
    await expect(removeMailbox(db, alice, sub.id)).rejects.toThrow(/holds the folder "Acme"/)
    await moveMailbox(db, alice, deeper.id, null)
    await removeMailbox(db, alice, sub.id)
    expect((await listMailboxes(db, alice)).find((b) => b.id === deeper.id)?.parentId).toBeNull()
  })

  it('groups by conversation unless turned off', async () => {
    expect(await getConversationView(db, alice)).toBe(true)
    await setConversationView(db, alice, false)
    expect(await getConversationView(db, alice)).toBe(false)
    await setConversationView(db, alice, true)
    expect(await getConversationView(db, alice)).toBe(true)
  })
})
