import { readFile } from 'node:fs/promises'
import { type Network, sendMail } from '@federizer/devnet'
import { readMessage } from '@federizer/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { db, deliveryStatus, messagesIn, openNetwork, threeDomains, waitFor } from './federation-helpers.ts'

let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network

beforeAll(async () => {
  net = await openNetwork({ domains: threeDomains() })
  network = net.network
}, 60_000)
afterAll(async () => {
  await net?.close()
})

async function notice(account: string, subjectPrefix: string) {
  return waitFor(async () => {
    const rows = await messagesIn(db(network, 'example.com'), account, 'inbox')
    return rows.find((r) => r.subject.startsWith(subjectPrefix))
  }, `a "${subjectPrefix}" notice`)
}

async function noticeText(row: { placeholder: string }) {
  const m = readMessage(JSON.parse(row.placeholder))
  return (
    await readFile(network.node('example.com').gateway!.ctx.federation.resources.path(m.text!.contentId))
  ).toString()
}

describe("delivery notices in the sender's own inbox", () => {
  it("a permanent refusal fails at once, with the receiver's reason in the status and the notice", {
    timeout: 30_000,
  }, async () => {
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['nobody@example.net'],
      subject: 'To nobody',
      text: 'hello?',
    })
    const status = await waitFor(async () => {
      const [s] = await deliveryStatus(db(network, 'example.com'), sent.rowId)
      return s?.state === 'failed' ? s : undefined
    }, 'a failed status')
    expect(status.detail).toMatch(/unknown_recipient\): no such mailbox at the recipient domain/)
    const row = await notice('alice@example.com', 'Undeliverable: To nobody')
    expect(await noticeText(row)).toContain(
      'nobody@example.net: example.net refused the message (unknown_recipient)',
    )
    const outbox = await db(network, 'example.com')
      .selectFrom('outbox')
      .selectAll()
      .where('message_row_id', '=', sent.rowId)
      .execute()
    expect(outbox.map((o) => [o.state, o.attempts])).toEqual([['failed', 1]])
  })

  it('an unreachable domain is retried, a delay notice comes after ~4 h (scaled), a failure notice at the end of the lifetime', {
    timeout: 60_000,
  }, async () => {
    await network.node('example.org').stop()
    try {
      const comDb = db(network, 'example.com')
      const sent = await sendMail(network.node('example.com'), {
        from: 'alice@example.com',
        to: ['bobby@example.org'],
        subject: 'Into the void',
        text: 'Anyone there?',
      })
      const row = await waitFor(async () => {
        const r = await comDb
          .selectFrom('outbox')
          .selectAll()
          .where('message_row_id', '=', sent.rowId)
          .executeTakeFirst()
        return r && r.attempts >= 2 ? r : undefined
      }, 'two failed attempts')
      expect(row.state).toBe('queued')
      expect((await deliveryStatus(comDb, sent.rowId))[0]?.state).toBe('queued')
      // Time passes: the message has now waited longer than the (scaled) 4 hours.
      const nowS = Math.floor(Date.now() / 1000)
      await comDb
        .updateTable('outbox')
        .set({ created_at: nowS - 20 })
        .where('id', '=', row.id)
        .execute()
      const delay = await notice('alice@example.com', 'Delayed: Into the void')
      expect(await noticeText(delay)).toMatch(
        /bobby@example\.org: .*example\.org could not be (reached|discovered)/,
      )
      expect((await deliveryStatus(comDb, sent.rowId))[0]?.state).toBe('delayed')
      // …and longer than the (scaled) 5-day lifetime: the MTA gives up and says so.
      await comDb
        .updateTable('outbox')
        .set({ created_at: nowS - 1000 })
        .where('id', '=', row.id)
        .execute()
      const failure = await notice('alice@example.com', 'Undeliverable: Into the void')
      expect(await noticeText(failure)).toMatch(/gave up after the queue lifetime/)
      const [status] = await deliveryStatus(comDb, sent.rowId)
      expect(status?.state).toBe('failed')
      expect(status?.detail).toMatch(
        /gave up after the queue lifetime; last error: .*example\.org could not be/,
      )
      // Exactly one delay notice and one failure notice.
      const inbox = await messagesIn(comDb, 'alice@example.com', 'inbox')
      expect(inbox.filter((r) => r.subject.endsWith('Into the void'))).toHaveLength(2)
    } finally {
      await network.node('example.org').start()
    }
  })
})
