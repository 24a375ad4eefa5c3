import { buildDraft, type PlaceholderMessage } from '@federizer/protocol'
import type { KyselyPlugin } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import { ConflictError, NotFoundError } from '../src/errors.ts'
import { insertMessage } from '../src/messages.ts'
import { commitSend, draftForSend } from '../src/send.ts'
import { tempDb, testDialect } from './helpers.ts'

let db: Db
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ db, cleanup } = await tempDb())
})
afterEach(async () => cleanup())

const alice = 'alice@example.com'

/** The database with every statement kysely sends counted. */
function counted(): { db: Db; statements: () => number } {
  let n = 0
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      n++
      return args.node
    },
    transformResult: async (args) => args.result,
  }
  return { db: db.withPlugin(plugin), statements: () => n }
}

async function draft(): Promise<{ id: string; message: PlaceholderMessage }> {
  const message = buildDraft({
    from: { address: alice },
    to: [{ address: 'bob@example.net' }, { address: 'dave@example.net' }],
    cc: [{ name: 'Olga', address: 'olga@example.org' }],
    subject: 'Plans',
    messageId: '<plans@example.com>',
    text: { contentId: 'aSQnmlBT6RndpDnwTSStJUVh1h9XL9_y2QXX42NhKuI', size: 42, mediaType: 'text/plain' },
  })
  const { id } = await insertMessage(db, { account: alice, mailboxRole: 'drafts', placeholder: message })
  return { id, message }
}

const dpopKey = { privateJwk: { kty: 'EC' }, publicJwk: { kty: 'EC' } }

function sendInput(read: Awaited<ReturnType<typeof draftForSend>>) {
  return {
    account: alice,
    read,
    sealed: read.draft,
    deliveries: [
      {
        domain: 'example.net',
        recipients: ['bob@example.net', 'Dave@example.net'],
        placeholder: read.draft,
        dpopKey,
      },
      { domain: 'example.org', recipients: ['olga@example.org'], placeholder: read.draft, dpopKey },
    ],
    contentIds: ['aSQnmlBT6RndpDnwTSStJUVh1h9XL9_y2QXX42NhKuI'],
    contacts: [
      { address: 'bob@example.net' },
      { address: 'dave@example.net' },
      { name: 'Olga', address: 'olga@example.org' },
      { address: 'Bob@example.net' },
      { address: alice },
    ],
    holdUntil: 150,
    now: 100,
    lifetimeSeconds: 1000,
  }
}

describe('send in the store (draftForSend, commitSend)', () => {
  it('moves the draft to Sent, queues held rows and statuses, remembers contacts, in few statements', async () => {
    const { id, message } = await draft()
    const c = counted()
    const read = await draftForSend(c.db, alice, id)
    expect(read.draft).toEqual(message)
    expect(c.statements()).toBe(1)
    await commitSend(c.db, sendInput(read))
    // allocateModseq, the guarded move, two outbox rows with their resource refs, the statuses, the
    // contacts; plus the advisory lock and unlock on PostgreSQL (SQLite's BEGIN IMMEDIATE takes the lock).
    expect(c.statements() - 1).toBe(testDialect === 'postgres' ? 10 : 8)
    const row = await db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    const sent = await db
      .selectFrom('mailboxes')
      .select('id')
      .where('account', '=', alice)
      .where('role', '=', 'sent')
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({ mailbox_id: sent.id, sent_at: 100, seen: 1, keywords: '["$seen"]' })
    expect(row.draft_backup).toBe(read.row.placeholder)
    expect(Number(row.modseq)).toBeGreaterThan(Number(read.row.modseq))
    const outbox = await db.selectFrom('outbox').selectAll().orderBy('recipient_domain').execute()
    expect(outbox.map((o) => [o.recipient_domain, o.state, Number(o.next_attempt_at)])).toEqual([
      ['example.net', 'held', 150],
      ['example.org', 'held', 150],
    ])
    const statuses = await db.selectFrom('delivery_status').selectAll().orderBy('recipient').execute()
    expect(statuses.map((s) => [s.recipient, s.state])).toEqual([
      ['bob@example.net', 'held'],
      ['dave@example.net', 'held'],
      ['olga@example.org', 'held'],
    ])
    const contacts = await db.selectFrom('contacts').selectAll().orderBy('address').execute()
    expect(contacts.map((p) => [p.address, p.name, Number(p.use_count)])).toEqual([
      ['bob@example.net', null, 2],
      ['dave@example.net', null, 1],
      ['olga@example.org', 'Olga', 1],
    ])
  })

  it('a draft changed since it was read is not sent: ConflictError, nothing written', async () => {
    const { id } = await draft()
    const read = await draftForSend(db, alice, id)
    await db
      .updateTable('messages')
      .set({ modseq: Number(read.row.modseq) + 5 })
      .where('id', '=', id)
      .execute()
    await expect(commitSend(db, sendInput(read))).rejects.toThrow(ConflictError)
    expect(await db.selectFrom('outbox').selectAll().execute()).toEqual([])
    expect(await db.selectFrom('delivery_status').selectAll().execute()).toEqual([])
    expect(await db.selectFrom('contacts').selectAll().execute()).toEqual([])
    const row = await db
      .selectFrom('messages')
      .select('sent_at')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    expect(row.sent_at).toBeNull()
  })

  it('refuses what is not the account’s draft', async () => {
    const { id } = await draft()
    await expect(draftForSend(db, 'mallory@example.com', id)).rejects.toThrow(NotFoundError)
    await expect(draftForSend(db, alice, 'm_missing')).rejects.toThrow(NotFoundError)
    await commitSend(db, sendInput(await draftForSend(db, alice, id)))
    await expect(draftForSend(db, alice, id)).rejects.toThrow(`message ${id} is not a draft`)
  })
})
