import { mailCaller, type Network, sendMail } from '@federizer/devnet'
import { setVacation } from '@federizer/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { db, messagesIn, openNetwork, threeDomains, waitFor } from './federation-helpers.ts'

/** Issue 16: the vacation auto-reply is sent by the server, once per sender per period, never to lists. */
let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
const BOB = 'bob@example.net'

beforeAll(async () => {
  net = await openNetwork({ domains: threeDomains() })
  network = net.network
  const now = Math.floor(Date.now() / 1000)
  await setVacation(db(network, 'example.net'), BOB, {
    enabled: true,
    subject: 'Away until Monday',
    text: 'I am away and read mail on Monday.',
    startsAt: now - 3600,
    endsAt: now + 7 * 86_400,
    periodDays: 7,
  })
}, 60_000)
afterAll(async () => {
  await net?.close()
})

const inbox = (domain: string, account: string) => messagesIn(db(network, domain), account, 'inbox')
const bobHas = (messageId: string) =>
  waitFor(
    async () => (await inbox('example.net', BOB)).find((m) => m.message_id_header === messageId),
    `Bob's copy of ${messageId}`,
  )

describe('vacation auto-reply between real nodes', () => {
  it('Alice gets exactly one signed, auto-submitted reply for two messages, fetched from Bob', {
    timeout: 90_000,
  }, async () => {
    const first = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: [BOB],
      subject: 'Lunch?',
      text: 'Tuesday?',
    })
    await bobHas(first.messageIdHeader)
    const second = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: [BOB],
      subject: 'Lunch!',
      text: 'Or Wednesday?',
    })
    await bobHas(second.messageIdHeader)
    const reply = await waitFor(async () => {
      const r = (await inbox('example.com', 'alice@example.com')).find(
        (m) => m.subject === 'Away until Monday',
      )
      return r?.content_state === 'complete' ? r : undefined
    }, "the vacation reply in Alice's inbox")
    expect(reply.from_address).toBe(BOB)
    expect(reply.in_reply_to).toBe(first.messageIdHeader)
    expect(JSON.parse(reply.chain_verification ?? '{}')).toMatchObject({ ok: true })
    const original = JSON.parse(reply.placeholder).envelope.at(-1).headers as [string, string][]
    expect(original).toContainEqual(['Auto-Submitted', 'auto-replied'])
    // Alice reads the text, fetched from example.net like any other message's content.
    const alice = await mailCaller(network.node('example.com'), 'alice@example.com')
    const [shown] = (await alice.message.get({ ids: [reply.id] })).messages
    expect(shown?.text).toBe('I am away and read mail on Monday.')
    // Both messages were stored before we look: a second reply would already be queued.
    const jobs = await db(network, 'example.net')
      .selectFrom('vacation_jobs')
      .select(['state', 'message_row_id'])
      .execute()
    expect(jobs).toHaveLength(1)
    expect(jobs[0]?.state).toBe('done')
    expect(
      (await inbox('example.com', 'alice@example.com')).filter((m) => m.subject === 'Away until Monday'),
    ).toHaveLength(1)
    // Bob's Sent keeps the reply he sent.
    const sent = await messagesIn(db(network, 'example.net'), BOB, 'sent')
    expect(sent.map((m) => m.subject)).toEqual(['Away until Monday'])
  })

  it('a list message (List-Id) gets no reply', { timeout: 60_000 }, async () => {
    const carol = await mailCaller(network.node('example.com'), 'carol@example.com')
    const draft = await carol.draft.save({
      to: [{ address: BOB }],
      subject: 'Team news',
      text: 'Weekly digest',
      attachments: [],
    })
    const comDb = db(network, 'example.com')
    const row = await comDb
      .selectFrom('messages')
      .select('placeholder')
      .where('id', '=', draft.id)
      .executeTakeFirstOrThrow()
    const placeholder = JSON.parse(row.placeholder)
    placeholder.envelope[0].headers.push(['List-Id', 'Team <team.example.com>'])
    await comDb
      .updateTable('messages')
      .set({ placeholder: JSON.stringify(placeholder) })
      .where('id', '=', draft.id)
      .execute()
    await carol.send.submit({ draftId: draft.id })
    const copy = await bobHas(draft.messageIdHeader)
    // Signed like Subject: the chain verifies with List-Id covered by the assertion.
    expect(JSON.parse(copy.chain_verification ?? '{}')).toMatchObject({ ok: true })
    const jobs = await db(network, 'example.net')
      .selectFrom('vacation_jobs')
      .select('message_row_id')
      .where('message_row_id', '=', copy.id)
      .execute()
    expect(jobs).toEqual([])
    const replied = await db(network, 'example.net').selectFrom('vacation_replies').select('sender').execute()
    expect(replied.map((r) => r.sender)).toEqual(['alice@example.com'])
  })
})
