/**
 * Issue 12 item 10, quotas, against real nodes: a full mailbox defers (the sender retries and reads
 * "bob@example.net's mailbox is full"), never bounces; the per-message limit refuses for good; uploads
 * over the quota are 413 with a sentence; the owner sees the quota (account.quota); the operator sets
 * it (`user quota EMAIL --bytes N`). Nothing is stored for a refused message.
 */
import { mailCaller, sendMail } from '@federizer/devnet'
import { accountUsage, quotaOf, setUserQuota } from '@federizer/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAdminCommand } from '../../src/as/admin-commands.ts'
import { db, deliveryStatus, messagesIn, testBytes, waitFor } from '../federation-helpers.ts'
import {
  ALICE,
  type AttackNet,
  attackerMessage,
  BOB,
  deliver,
  expectGoodMail,
  expectNothingStored,
  expectRefused,
  HONEST,
  openAttackNetwork,
  request,
  settle,
  snapshot,
  VICTIM,
} from './harness.ts'

let net: AttackNet
const DAVE = 'dave@example.net'

beforeAll(async () => {
  net = await openAttackNetwork({ undoSendSeconds: 3600 })
}, 90_000)
afterAll(async () => {
  await net?.close()
})

const victimDb = () => db(net.network, VICTIM)
/** Leaves `account` exactly `room` bytes of space. */
async function leaveRoom(account: string, room: number) {
  await setUserQuota(victimDb(), account, (await accountUsage(victimDb(), account)) + room)
}
const release = (rowId: string) =>
  db(net.network, HONEST)
    .updateTable('outbox')
    .set({ next_attempt_at: 0 })
    .where('message_row_id', '=', rowId)
    .execute()
const body = (placeholder: unknown, recipients = [BOB]) => JSON.stringify({ placeholder, recipients })

describe('a full mailbox', () => {
  it('a delivery to it → 507 mailbox_full with Retry-After; nothing stored', async () => {
    await leaveRoom(BOB, 10)
    const m = await attackerMessage(net.network)
    const before = await snapshot(net.network, VICTIM)
    const reply = await deliver(net.network, { body: body(m.placeholder), token: m.token, key: m.key })
    expectRefused(reply, 507, 'mailbox_full')
    expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(reply.json?.error_description).toContain(`${BOB}'s mailbox is full`)
    await expectNothingStored(net.network, VICTIM, before)
    await setUserQuota(victimDb(), BOB, null)
  })

  it('the sender reads "bob@example.net\'s mailbox is full", retries, and delivers once there is room', {
    timeout: 60_000,
  }, async () => {
    await leaveRoom(BOB, 10)
    const sent = await sendMail(net.node(HONEST), { from: ALICE, to: [BOB], subject: 'Full', text: 'Room?' })
    await release(sent.rowId)
    const status = await waitFor(async () => {
      const s = (await deliveryStatus(db(net.network, HONEST), sent.rowId))[0]
      return s?.detail?.includes('mailbox is full') ? s : undefined
    }, 'the sender to see the full mailbox')
    expect(status.state).toMatch(/^(queued|delayed)$/) // retried, never bounced
    expect(status.detail).toContain(`${BOB}'s mailbox is full`)
    expect(
      (await messagesIn(victimDb(), BOB, 'inbox')).some((r) => r.message_id_header === sent.messageIdHeader),
    ).toBe(false)
    await setUserQuota(victimDb(), BOB, null)
    await waitFor(async () => {
      const s = (await deliveryStatus(db(net.network, HONEST), sent.rowId))[0]
      return s?.state === 'delivered'
    }, 'the retry to deliver once Bob has room')
    await settle(net.network, VICTIM)
  })

  it('one full recipient among two: the other gets it now, the full one later', {
    timeout: 60_000,
  }, async () => {
    await leaveRoom(DAVE, 10)
    const sent = await sendMail(net.node(HONEST), { from: ALICE, to: [BOB, DAVE], subject: 'Two', text: 'x' })
    await release(sent.rowId)
    await waitFor(async () => {
      const rows = await deliveryStatus(db(net.network, HONEST), sent.rowId)
      const bob = rows.find((r) => r.recipient === BOB)
      const dave = rows.find((r) => r.recipient === DAVE)
      return bob?.state === 'delivered' && dave?.detail?.includes(`${DAVE}'s mailbox is full`)
    }, 'Bob delivered and Dave deferred')
    await setUserQuota(victimDb(), DAVE, null)
    await waitFor(async () => {
      const rows = await deliveryStatus(db(net.network, HONEST), sent.rowId)
      return rows.find((r) => r.recipient === DAVE)?.state === 'delivered'
    }, 'Dave delivered after he has room')
    const bobCopies = (await messagesIn(victimDb(), BOB, 'inbox')).filter(
      (r) => r.message_id_header === sent.messageIdHeader,
    )
    expect(bobCopies).toHaveLength(1) // the retry for Dave did not store Bob's copy twice
    await settle(net.network, VICTIM)
  })
})

describe('size limits', () => {
  it('a message larger than the receiver accepts → 413 payload_too_large (final); nothing stored', async () => {
    const limits = net.node(VICTIM).gateway!.ctx.config.limits
    const saved = limits.maxMessageBytes
    limits.maxMessageBytes = 500
    try {
      const m = await attackerMessage(net.network)
      const before = await snapshot(net.network, VICTIM)
      const reply = await deliver(net.network, { body: body(m.placeholder), token: m.token, key: m.key })
      expectRefused(reply, 413, 'payload_too_large')
      expect(reply.json?.error_description).toMatch(/accepts messages up to 500 bytes/)
      await expectNothingStored(net.network, VICTIM, before)
    } finally {
      limits.maxMessageBytes = saved
    }
  })

  it('send of a message over the per-message limit → PAYLOAD_TOO_LARGE with a sentence; nothing queued', async () => {
    const limits = net.node(HONEST).api!.ctx.config.limits
    const saved = limits.maxMessageBytes
    limits.maxMessageBytes = 10_000
    try {
      const outbox = await db(net.network, HONEST).selectFrom('outbox').select('id').execute()
      const attempt = sendMail(net.node(HONEST), {
        from: ALICE,
        to: [BOB],
        subject: 'Big',
        text: 'see attached',
        attachments: [
          { filename: 'big.bin', mediaType: 'application/octet-stream', bytes: testBytes(20_000) },
        ],
      })
      await expect(attempt).rejects.toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        message: expect.stringMatching(/messages up to 10\.0 kB can be sent/),
      })
      expect(await db(net.network, HONEST).selectFrom('outbox').select('id').execute()).toEqual(outbox)
    } finally {
      limits.maxMessageBytes = saved
    }
  })

  it('an upload that does not fit in the quota → 413 quota_exceeded with a sentence; nothing stored', async () => {
    const api = net.node(VICTIM)
    await leaveRoom(BOB, 1000)
    const token = await api.accessToken(BOB)
    const before = await snapshot(net.network, VICTIM)
    const declared = await request(`${api.apiUrl}/resources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: testBytes(5000),
    })
    expectRefused(declared, 413, 'quota_exceeded')
    expect(declared.json?.message).toMatch(/your mailbox is full: .* used; delete mail/)
    // Streamed without a Content-Length: refused while writing, nothing kept.
    const bytes = testBytes(5000, 7)
    const streamed = await request(`${api.apiUrl}/resources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: new ReadableStream({
        start(c) {
          c.enqueue(bytes)
          c.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expectRefused(streamed, 413, 'quota_exceeded')
    await expectNothingStored(net.network, VICTIM, before)
    await setUserQuota(victimDb(), BOB, null)
  })
})

describe('the owner and the operator', () => {
  it('account.quota tells the owner what is used of what quota', async () => {
    const q = await (await mailCaller(net.node(VICTIM), BOB)).account.quota()
    expect(q.quotaBytes).toBe(net.node(VICTIM).config.limits.userQuotaBytes)
    expect(q.usedBytes).toBe(await accountUsage(victimDb(), BOB))
    expect(q.usedBytes).toBeGreaterThan(0)
  })

  it('`user quota EMAIL --bytes N` sets it, `--default` clears it, and bad values are usage errors', async () => {
    const lines: string[] = []
    const io = { readPassword: async () => '', print: (l: string) => lines.push(l) }
    const config = net.node(VICTIM).config
    await runAdminCommand(config, ['user', 'quota', BOB, '--bytes', '123456789'], io)
    expect((await quotaOf(victimDb(), BOB, 1)).quotaBytes).toBe(123456789)
    expect(lines.at(-1)).toMatch(/^quota of bob@example\.net: 123456789 bytes/)
    await expect(runAdminCommand(config, ['user', 'quota', BOB, '--bytes', 'lots'], io)).rejects.toThrow(
      /whole number of bytes/,
    )
    await runAdminCommand(config, ['user', 'quota', BOB, '--default'], io)
    expect((await quotaOf(victimDb(), BOB, 42)).quotaBytes).toBe(42)
  })

  it('good mail still flows', { timeout: 60_000 }, async () => {
    await expectGoodMail(net.network)
  })
})
