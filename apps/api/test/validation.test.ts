import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signTicket, verifyTicket } from '../src/http/tickets.ts'
import { errorOf, type Harness, startApi } from './harness.ts'

let h: Harness
const alice = 'alice@example.com'

beforeAll(async () => {
  h = await startApi()
})
afterAll(async () => h?.close())

describe('every input is validated with a message a person understands', () => {
  it('rejects malformed inputs with BAD_REQUEST', async () => {
    const a = await h.client(alice)
    const inbox = (await a.mailbox.list.query())[0]!
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['empty id list', () => a.message.get.query({ ids: [] })],
      ['id with bad characters', () => a.message.get.query({ ids: ['../etc'] })],
      ['too many ids', () => a.message.get.query({ ids: Array.from({ length: 501 }, (_, i) => `m_${i}`) })],
      ['list limit too high', () => a.message.list.query({ mailboxId: inbox.id, limit: 1000 })],
      ['forged cursor', () => a.message.list.query({ mailboxId: inbox.id, cursor: 'Zm9yZ2Vk' })],
      ['In-Reply-To not <id@domain>', () => a.draft.save.mutate({ inReplyTo: 'no-brackets' })],
      [
        'attachment with a bad Content-ID',
        () =>
          a.draft.save.mutate({ attachments: [{ contentId: 'short', size: 1, mediaType: 'text/plain' }] }),
      ],
      [
        'attachment with a bad media type',
        () =>
          a.draft.save.mutate({
            attachments: [{ contentId: 'A'.repeat(43), size: 1, mediaType: 'nonsense' }],
          }),
      ],
      ['search query too long', () => a.message.search.query({ query: 'x'.repeat(501) })],
      ['mailbox name too long', () => a.mailbox.create.mutate({ name: 'x'.repeat(101) })],
      ['contact prefix too long', () => a.contacts.suggest.query({ prefix: 'x'.repeat(321) })],
      ['downloadUrl with a bad Content-ID', () => a.resource.downloadUrl.mutate({ contentId: 'nope' })],
      ['sync max 0', () => a.sync.changes.query({ since: '0', max: 0 })],
    ]
    for (const [name, call] of cases) {
      const e = await errorOf(call())
      expect({ name, code: e.code }).toEqual({ name, code: 'BAD_REQUEST' })
      expect(e.message.length).toBeGreaterThan(0)
    }
  })
})

describe('download tickets', () => {
  const secret = Buffer.alloc(32, 9)
  const cid = 'A'.repeat(43)
  it('verify only with the right key, Content-ID and before expiry', () => {
    const ticket = signTicket(secret, { a: alice, c: cid, e: 1000 })
    expect(verifyTicket(secret, ticket, cid, 999)).toMatchObject({ a: alice })
    expect(verifyTicket(secret, ticket, cid, 1001)).toBeUndefined()
    expect(verifyTicket(secret, ticket, 'B'.repeat(43), 999)).toBeUndefined()
    expect(verifyTicket(Buffer.alloc(32, 8), ticket, cid, 999)).toBeUndefined()
    const [body, mac] = ticket.split('.')
    const forged = Buffer.from(JSON.stringify({ a: 'bob@example.com', c: cid, e: 1000 })).toString(
      'base64url',
    )
    expect(verifyTicket(secret, `${forged}.${mac}`, cid, 999)).toBeUndefined()
    expect(verifyTicket(secret, `${body}`, cid, 999)).toBeUndefined()
    expect(verifyTicket(secret, `${ticket}.x`, cid, 999)).toBeUndefined()
  })
})
