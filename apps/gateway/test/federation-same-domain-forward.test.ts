import { type Network, sendMail } from '@federizer/devnet'
import { setAutoForward } from '@federizer/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { db, messagesIn, openNetwork, testBytes, threeDomains, waitFor } from './federation-helpers.ts'

/** Issue 12 item 16: auto-forward between two users of one domain (the forward exchange used to demand
 * the original sender's proof key when the received assertion was issued by this very AS). */
let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network

beforeAll(async () => {
  net = await openNetwork({ domains: threeDomains() })
  network = net.network
}, 60_000)
afterAll(async () => {
  await net?.close()
})

describe('same-domain auto-forward', () => {
  it('forwards between two users of one domain, for mail from that domain and from another, and both fetch', {
    timeout: 90_000,
  }, async () => {
    const netDb = db(network, 'example.net')
    const comDb = db(network, 'example.com')
    // Within example.com: carol forwards to alice, and the mail comes from example.com itself.
    await setAutoForward(comDb, 'carol@example.com', ['alice@example.com'])
    // Within example.net: bob forwards to dave, the mail comes from another domain.
    await setAutoForward(netDb, 'bob@example.net', ['dave@example.net'])
    const image = testBytes(40_000, 21)
    const toCarol = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['carol@example.com'],
      subject: 'Loop back to me',
      text: 'Within one domain.',
    })
    const toBob = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      subject: 'For Bob, read by Dave',
      text: 'Forwarded within example.net.',
      attachments: [{ filename: 'p.png', mediaType: 'image/png', bytes: image }],
    })
    const complete = (database: typeof netDb, account: string, messageId: string) =>
      waitFor(async () => {
        const rows = await messagesIn(database, account, 'inbox')
        const row = rows.find((r) => r.message_id_header === messageId)
        return row?.content_state === 'complete' ? row : undefined
      }, `${account}'s complete copy of ${messageId}`)
    const dave = await complete(netDb, 'dave@example.net', toBob.messageIdHeader)
    expect(JSON.parse(dave.chain_verification ?? '{}').ok).toBe(true)
    expect(dave.placeholder).toContain('Forwarded-From')
    const alice = await complete(comDb, 'alice@example.com', toCarol.messageIdHeader)
    expect(alice.placeholder).toContain('Forwarded-From')
    const jobs = await netDb
      .selectFrom('forward_jobs')
      .select(['state', 'last_error'])
      .where('account', '=', 'bob@example.net')
      .execute()
    expect(jobs).toEqual([{ state: 'done', last_error: null }])
  })
})
