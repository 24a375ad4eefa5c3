import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import {
  completeFetchJob,
  failFetchJob,
  fetchJobsByIds,
  insertFetchJobs,
  type NewFetchJob,
} from '../src/fetch-jobs.ts'
import { getMessageRow, insertMessage } from '../src/messages.ts'
import { accountHasResource } from '../src/resource-refs.ts'
import { createUser } from '../src/users.ts'
import { cid, placeholder, tempDb } from './helpers.ts'

// One verified fetch serves the copies of the same delivery (same message, origin, Content-ID and
// byte-identical envelope) and nothing else (docs/protocol.md §6, "Who may read a resource").
let db: Db
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ db, cleanup } = await tempDb())
})
afterEach(async () => cleanup())

const FILE = { bytes: 'the attachment', filename: 'a.pdf' }
const NOW = 1_800_000_000

async function copy(account: string, messageId: string) {
  await createUser(db, { email: account, password: 'correct horse battery staple' }).catch(() => {})
  const message = placeholder({
    from: 'alice@example.com',
    to: [account],
    subject: 's',
    messageId,
    attachment: FILE,
  })
  const { id } = await insertMessage(db, {
    account,
    mailboxRole: 'inbox',
    placeholder: message,
    contentState: 'arriving',
    resourcesReadable: false,
  })
  return { id, account, messageId }
}

const job = (
  c: { id: string; account: string; messageId: string },
  state: NewFetchJob['state'],
  envelope: unknown[],
): NewFetchJob => ({
  account: c.account,
  messageRowId: c.id,
  messageId: c.messageId,
  originDomain: 'example.com',
  contentId: cid(FILE.bytes),
  size: FILE.bytes.length,
  mediaType: 'application/pdf',
  priority: 1,
  envelope,
  state,
  now: NOW,
  expiresAt: NOW + 3600,
})

async function jobsOf(...copies: { id: string }[]) {
  const rows = await db
    .selectFrom('fetch_jobs')
    .selectAll()
    .where(
      'message_row_id',
      'in',
      copies.map((c) => c.id),
    )
    .execute()
  return copies.map((c) => rows.find((r) => r.message_row_id === c.id))
}

describe('fetch jobs of one delivery', () => {
  it('a completed fetch serves the waiting copies of the same delivery, not another message or path', async () => {
    const envelope = [{ headers: [['Received', 'from example.com by example.net']] }]
    const bob = await copy('bob@example.net', '<m1@example.com>')
    const dave = await copy('dave@example.net', '<m1@example.com>')
    const other = await copy('carol@example.net', '<m2@example.com>')
    const path2 = await copy('erin@example.net', '<m1@example.com>')
    await insertFetchJobs(db, [
      job(bob, 'queued', envelope),
      job(dave, 'waiting', envelope),
      job(other, 'queued', envelope),
      job(path2, 'queued', [{ headers: [['Received', 'from example.org by example.net']] }]),
    ])
    const [leader] = await jobsOf(bob)
    const served = await completeFetchJob(db, leader!, { now: NOW + 1 })
    expect(served.sort()).toEqual([bob.id, dave.id].sort())
    const [b, d, o, p] = await jobsOf(bob, dave, other, path2)
    expect([b?.state, d?.state, o?.state, p?.state]).toEqual(['done', 'done', 'queued', 'queued'])
    expect(b?.attempts).toBe(1)
    expect(d?.attempts).toBe(0)
    for (const c of [bob, dave]) {
      expect(await accountHasResource(db, c.account, cid(FILE.bytes))).toBe(true)
      expect((await getMessageRow(db, c.account, c.id)).content_state).toBe('complete')
    }
    for (const c of [other, path2]) {
      expect(await accountHasResource(db, c.account, cid(FILE.bytes))).toBe(false)
      expect((await getMessageRow(db, c.account, c.id)).content_state).toBe('arriving')
    }
  })

  it('a fetch that failed for good fails the copies waiting on it, and only those', async () => {
    const envelope = [{ headers: [['Received', 'from example.com by example.net']] }]
    const bob = await copy('bob@example.net', '<m3@example.com>')
    const dave = await copy('dave@example.net', '<m3@example.com>')
    const other = await copy('carol@example.net', '<m4@example.com>')
    await insertFetchJobs(db, [
      job(bob, 'queued', envelope),
      job(dave, 'waiting', envelope),
      job(other, 'waiting', envelope),
    ])
    const [leader] = await jobsOf(bob)
    expect((await failFetchJob(db, leader!, { now: NOW + 1, reason: 'refused' })).sort()).toEqual(
      [bob.id, dave.id].sort(),
    )
    const [b, d, o] = await jobsOf(bob, dave, other)
    expect([b?.state, d?.state, o?.state]).toEqual(['failed', 'failed', 'waiting'])
    expect((await getMessageRow(db, 'dave@example.net', dave.id)).content_reason).toBe('refused')
    expect(await fetchJobsByIds(db, [leader!.id])).toHaveLength(1)
  })
})
