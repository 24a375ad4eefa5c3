import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { suggestContacts } from '../src/contacts.ts'
import type { Db } from '../src/db.ts'
import { deleteDraft, saveDraft } from '../src/drafts.ts'
import { ConflictError, NotFoundError } from '../src/errors.ts'
import {
  createMailbox,
  listMailboxes,
  mailboxByRole,
  removeMailbox,
  renameMailbox,
} from '../src/mailboxes.ts'
import { listMessages, searchMessages, threadMessages } from '../src/message-list.ts'
import {
  deleteMessages,
  getMessageRow,
  insertMessage,
  moveMessages,
  restoreMessages,
  setContentState,
  setKeywords,
} from '../src/messages.ts'
import { accountHasResource, grantFetchedResource } from '../src/resource-refs.ts'
import { indexMessageText } from '../src/search.ts'
import { getAutoForward, setAutoForward } from '../src/settings.ts'
import { getSyncState } from '../src/sync.ts'
import { cid, placeholder, tempDb } from './helpers.ts'

let db: Db
let cleanup: () => Promise<void>
const alice = 'alice@example.com'
const bob = 'bob@example.net'

beforeEach(async () => {
  ;({ db, cleanup } = await tempDb())
})
afterEach(async () => cleanup())

const mail = (n: number, extra: Partial<Parameters<typeof placeholder>[0]> = {}) =>
  placeholder({
    from: 'Bob <Bob@Example.net>',
    to: ['Alice <alice@example.com>'],
    subject: `Message ${n}`,
    messageId: `<m${n}@example.net>`,
    text: `body ${n}`,
    ...extra,
  })

describe('insertMessage', () => {
  it('stores derived columns, references, contacts and bumps the state', async () => {
    expect(await getSyncState(db, alice)).toBe('0')
    const { id } = await insertMessage(db, {
      account: alice,
      mailboxRole: 'inbox',
      placeholder: mail(1, { attachment: { bytes: 'PDF', filename: 'a.pdf' } }),
      contentState: 'arriving',
      receivedAt: 1000,
    })
    const row = await getMessageRow(db, alice, id)
    expect(row).toMatchObject({
      subject: 'Message 1',
      from_address: 'bob@example.net',
      from_name: 'Bob',
      message_id_header: '<m1@example.net>',
      thread_id: '<m1@example.net>',
      has_attachments: 1,
      content_state: 'arriving',
      seen: 0,
    })
    // A copy whose content is still arriving grants nothing; its own completed fetch does, per resource.
    expect(await accountHasResource(db, alice, cid('body 1'))).toBe(false)
    expect(await accountHasResource(db, alice, cid('PDF'))).toBe(false)
    await grantFetchedResource(db, { messageRowId: id, contentId: cid('PDF') })
    expect(await accountHasResource(db, alice, cid('body 1'))).toBe(false)
    expect(await accountHasResource(db, alice, cid('PDF'))).toBe(true)
    expect(await accountHasResource(db, bob, cid('PDF'))).toBe(false)
    expect(Number(await getSyncState(db, alice))).toBeGreaterThan(0)
    expect(await suggestContacts(db, alice, 'bo')).toEqual([{ name: 'Bob', address: 'bob@example.net' }])
    await setContentState(db, { id, contentState: 'unavailable', reason: 'origin answered 404' })
    expect(await getMessageRow(db, alice, id)).toMatchObject({
      content_state: 'unavailable',
      content_reason: 'origin answered 404',
    })
  })

  it('rejects a malformed keyword', async () => {
    await expect(
      insertMessage(db, {
        account: alice,
        mailboxRole: 'inbox',
        placeholder: mail(1),
        keywords: ['no spaces'],
      }),
    ).rejects.toThrow(/not a keyword/)
  })
})

describe('mailbox operations', () => {
  it('lists pages newest first with a cursor', async () => {
    for (let i = 0; i < 5; i++) {
      await insertMessage(db, {
        account: alice,
        mailboxRole: 'inbox',
        placeholder: mail(i),
        receivedAt: 100 + i,
      })
    }
    const inbox = await mailboxByRole(db, alice, 'inbox')
    const p1 = await listMessages(db, { account: alice, mailboxId: inbox.id, limit: 2 })
    expect(p1.items.map((m) => m.subject)).toEqual(['Message 4', 'Message 3'])
    const p2 = await listMessages(db, {
      account: alice,
      mailboxId: inbox.id,
      limit: 2,
      cursor: p1.nextCursor ?? '',
    })
    const p3 = await listMessages(db, {
      account: alice,
      mailboxId: inbox.id,
      limit: 2,
      cursor: p2.nextCursor ?? '',
    })
    expect([...p2.items, ...p3.items].map((m) => m.subject)).toEqual(['Message 2', 'Message 1', 'Message 0'])
    expect(p3.nextCursor).toBeNull()
    await expect(
      listMessages(db, { account: alice, mailboxId: inbox.id, limit: 2, cursor: 'junk!' }),
    ).rejects.toThrow(/cursor/)
    // Bob listing Alice's inbox id sees nothing.
    expect((await listMessages(db, { account: bob, mailboxId: inbox.id, limit: 10 })).items).toEqual([])
  })

  it('setKeywords answers only the messages whose keywords changed (for an exact undo)', async () => {
    const ids: string[] = []
    for (const n of [1, 2, 3, 4]) {
      const keywords = n === 1 ? ['$seen'] : n === 2 ? ['$flagged', '$seen'] : []
      ids.push(
        (await insertMessage(db, { account: alice, mailboxRole: 'inbox', placeholder: mail(n), keywords }))
          .id,
      )
    }
    const before = await getSyncState(db, alice)
    expect((await setKeywords(db, alice, { ids, add: ['$seen'] })).sort()).toEqual([ids[2], ids[3]].sort())
    expect(await setKeywords(db, alice, { ids, add: ['$seen'] })).toEqual([])
    expect(await setKeywords(db, alice, { ids, add: ['$flagged'] })).not.toContain(ids[1])
    expect((await setKeywords(db, alice, { ids, remove: ['$flagged', '$seen'] })).length).toBe(4)
    expect(await getSyncState(db, alice)).not.toBe(before)
  })

  it('keywords, move, delete to Trash, restore, destroy', async () => {
    const { id } = await insertMessage(db, { account: alice, mailboxRole: 'inbox', placeholder: mail(1) })
    await setKeywords(db, alice, { ids: [id], add: ['$seen', '$flagged'] })
    expect(JSON.parse((await getMessageRow(db, alice, id)).keywords)).toEqual(['$flagged', '$seen'])
    await setKeywords(db, alice, { ids: [id], remove: ['$flagged'] })
    expect(JSON.parse((await getMessageRow(db, alice, id)).keywords)).toEqual(['$seen'])
    await expect(setKeywords(db, bob, { ids: [id], add: ['$seen'] })).rejects.toBeInstanceOf(NotFoundError)

    const folder = await createMailbox(db, alice, 'Projects')
    await moveMessages(db, alice, { ids: [id], mailboxId: folder.id })
    const first = await deleteMessages(db, alice, [id])
    expect(first).toEqual({ trashed: [id], destroyed: [] })
    const trash = await mailboxByRole(db, alice, 'trash')
    expect((await getMessageRow(db, alice, id)).mailbox_id).toBe(trash.id)
    await restoreMessages(db, alice, [id])
    expect((await getMessageRow(db, alice, id)).mailbox_id).toBe(folder.id)
    await expect(removeMailbox(db, alice, folder.id)).rejects.toBeInstanceOf(ConflictError)
    await deleteMessages(db, alice, [id])
    expect(await deleteMessages(db, alice, [id])).toEqual({ trashed: [], destroyed: [id] })
    await expect(getMessageRow(db, alice, id)).rejects.toBeInstanceOf(NotFoundError)
    expect(await accountHasResource(db, alice, cid('body 1'))).toBe(false)
    await removeMailbox(db, alice, folder.id)
  })

  it('folders: create, rename, duplicate names and role mailboxes are protected', async () => {
    const { id } = await createMailbox(db, alice, 'Receipts')
    await expect(createMailbox(db, alice, 'Receipts')).rejects.toBeInstanceOf(ConflictError)
    await expect(createMailbox(db, alice, '  ')).rejects.toThrow(/1 to 100/)
    await renameMailbox(db, alice, id, 'Bills')
    const inbox = await mailboxByRole(db, alice, 'inbox')
    await expect(renameMailbox(db, alice, inbox.id, 'X')).rejects.toBeInstanceOf(ConflictError)
    await expect(renameMailbox(db, bob, id, 'Mine')).rejects.toBeInstanceOf(NotFoundError)
    const names = (await listMailboxes(db, alice)).map((m) => m.name)
    expect(names).toEqual(['Inbox', 'Drafts', 'Sent', 'Trash', 'Archive', 'Junk', 'Bills'])
  })

  it('threads by X-Thread-ID, In-Reply-To', async () => {
    await insertMessage(db, {
      account: alice,
      mailboxRole: 'inbox',
      placeholder: mail(1, { threadId: '<t1@example.net>' }),
      receivedAt: 1,
    })
    await insertMessage(db, {
      account: alice,
      mailboxRole: 'inbox',
      placeholder: mail(2, { inReplyTo: '<m1@example.net>' }),
      receivedAt: 2,
    })
    await insertMessage(db, { account: alice, mailboxRole: 'inbox', placeholder: mail(3), receivedAt: 3 })
    const thread = await threadMessages(db, alice, '<t1@example.net>')
    expect(thread.map((m) => m.subject)).toEqual(['Message 1', 'Message 2'])
  })

  it('searches subject, addresses and text once indexed, per account', async () => {
    const a = await insertMessage(db, {
      account: alice,
      mailboxRole: 'inbox',
      placeholder: mail(1, { subject: 'Vacation photo' }),
    })
    await insertMessage(db, {
      account: bob,
      mailboxRole: 'inbox',
      placeholder: mail(2, { subject: 'Vacation plans' }),
    })
    expect(
      (await searchMessages(db, { account: alice, query: 'vacat', limit: 10 })).map((m) => m.id),
    ).toEqual([a.id])
    expect(await searchMessages(db, { account: alice, query: 'venice', limit: 10 })).toEqual([])
    await indexMessageText(db, { id: a.id, text: 'Greetings from Venice, the gondolas are lovely' })
    const hits = await searchMessages(db, { account: alice, query: 'gondolas venice', limit: 10 })
    expect(hits.map((m) => m.preview)).toEqual(['Greetings from Venice, the gondolas are lovely'])
    expect((await searchMessages(db, { account: alice, query: 'bob@example.net', limit: 10 })).length).toBe(1)
    expect(await searchMessages(db, { account: alice, query: '"*(', limit: 10 })).toEqual([])
  })
})

describe('drafts and settings', () => {
  it('autosave replaces the same draft; a sent or foreign draft cannot be replaced', async () => {
    const d = await saveDraft(db, { account: alice, placeholder: mail(1, { from: alice, subject: 'v1' }) })
    await saveDraft(db, { account: alice, id: d.id, placeholder: mail(1, { from: alice, subject: 'v2' }) })
    const drafts = await mailboxByRole(db, alice, 'drafts')
    const list = await listMessages(db, { account: alice, mailboxId: drafts.id, limit: 10 })
    expect(list.items.map((m) => [m.id, m.subject])).toEqual([[d.id, 'v2']])
    await expect(saveDraft(db, { account: bob, id: d.id, placeholder: mail(1) })).rejects.toBeInstanceOf(
      NotFoundError,
    )
    await deleteDraft(db, alice, d.id)
    expect((await listMessages(db, { account: alice, mailboxId: drafts.id, limit: 10 })).items).toEqual([])
  })

  it('auto-forward round-trips', async () => {
    expect(await getAutoForward(db, alice)).toBeNull()
    await setAutoForward(db, alice, ['Bobby@Example.org'])
    expect(await getAutoForward(db, 'ALICE@example.com')).toEqual(['bobby@example.org'])
    await setAutoForward(db, alice, null)
    expect(await getAutoForward(db, alice)).toBeNull()
  })
})
