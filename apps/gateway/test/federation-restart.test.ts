import type { Network } from '@federizer/devnet'
import { digest } from '@federizer/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { heldDelivery, postDelivery } from './federation-bad-input-helpers.ts'
import { db, deliveryStatus, messagesIn, openNetwork, threeDomains, waitFor } from './federation-helpers.ts'

let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network

beforeAll(async () => {
  // Sent mail is held until the test releases it (next_attempt_at = 0), so the order of events is fixed.
  net = await openNetwork({ domains: threeDomains(), undoSendSeconds: 3600 })
  network = net.network
}, 60_000)
afterAll(async () => {
  await net?.close()
})

const release = (rowIds: string[]) =>
  db(network, 'example.com')
    .updateTable('outbox')
    .set({ next_attempt_at: 0 })
    .where('id', 'in', rowIds)
    .execute()

describe('a domain stopped for a while and restarted', () => {
  it('the sender queues while the receiver is down, then drains: nothing lost, nothing twice', {
    timeout: 90_000,
  }, async () => {
    const held = [await heldDelivery(network), await heldDelivery(network), await heldDelivery(network)]
    await network.node('example.net').stop()
    await release(held.map((h) => h.row.id))
    const comDb = db(network, 'example.com')
    // Each delivery fails at least once and the sender sees it queued with the reason.
    for (const h of held) {
      await waitFor(async () => {
        const row = await comDb.selectFrom('outbox').selectAll().where('id', '=', h.row.id).executeTakeFirst()
        return row && row.attempts >= 1 && row.state === 'queued' && row.last_error ? row : undefined
      }, 'a failed attempt while example.net is down')
      const [status] = await deliveryStatus(comDb, h.row.message_row_id)
      expect(status?.state).toBe('queued')
      expect(status?.detail).toMatch(/could not be (reached|discovered)/)
    }
    await network.node('example.net').start()
    const netDb = db(network, 'example.net')
    for (const h of held) {
      await waitFor(async () => {
        const rows = (await messagesIn(netDb, 'bob@example.net', 'inbox')).filter(
          (r) => r.message_id_header === h.sent.messageIdHeader,
        )
        return rows.length === 1 && rows[0]?.content_state === 'complete'
      }, `${h.sent.messageIdHeader} delivered and fetched after the restart`)
      await waitFor(
        async () => (await deliveryStatus(comDb, h.row.message_row_id))[0]?.state === 'delivered',
        'delivered status',
      )
    }
    const ids = held.map((h) => h.sent.messageIdHeader)
    const copies = await netDb
      .selectFrom('messages')
      .select('id')
      .where('message_id_header', 'in', ids)
      .execute()
    expect(copies).toHaveLength(3)
    const inbound = await netDb
      .selectFrom('inbound_deliveries')
      .select('id')
      .where('message_id_header', 'in', ids)
      .execute()
    expect(inbound).toHaveLength(3)
  })

  it('the fetcher retries while the origin is down, then completes; a late repeat delivery is not stored twice', {
    timeout: 90_000,
  }, async () => {
    const h = await heldDelivery(network)
    await network.node('example.com').stop()
    // The delivery reaches example.net (posted with the held row's key), but example.com cannot serve the fetch.
    const res = await postDelivery(network, 'example.net', { placeholder: h.placeholder, key: h.key })
    expect(res.status).toBe(202)
    const netDb = db(network, 'example.net')
    const job = await waitFor(async () => {
      const j = await netDb
        .selectFrom('fetch_jobs')
        .selectAll()
        .where('message_id_header', '=', h.sent.messageIdHeader)
        .executeTakeFirst()
      return j?.last_error ? j : undefined
    }, 'a failed fetch while example.com is down')
    expect(job.state).toBe('queued')
    const [copy] = (await messagesIn(netDb, 'bob@example.net', 'inbox')).filter(
      (r) => r.message_id_header === h.sent.messageIdHeader,
    )
    expect(copy?.content_state).toBe('arriving')

    await network.node('example.com').start()
    await waitFor(async () => {
      const [row] = (await messagesIn(netDb, 'bob@example.net', 'inbox')).filter(
        (r) => r.message_id_header === h.sent.messageIdHeader,
      )
      return row?.content_state === 'complete'
    }, 'the fetch to complete after the origin restarted')
    // A fetched body this small is kept in the database with the fetch's outcome (small-resources.ts).
    const text = await network
      .node('example.net')
      .gateway!.ctx.federation.resources.readSmall(job.content_id, 1024 * 1024)
    expect(digest(text!)).toBe(job.content_id)

    // The sender's own (held) delivery of the same message now goes out: the receiver answers 200, stores nothing new.
    await release([h.row.id])
    await waitFor(
      async () =>
        (await deliveryStatus(db(network, 'example.com'), h.row.message_row_id))[0]?.state === 'delivered',
      'delivered',
    )
    const copies = await netDb
      .selectFrom('messages')
      .select('id')
      .where('message_id_header', '=', h.sent.messageIdHeader)
      .execute()
    expect(copies).toHaveLength(1)
    const jobs = await netDb
      .selectFrom('fetch_jobs')
      .select('id')
      .where('message_id_header', '=', h.sent.messageIdHeader)
      .execute()
    expect(jobs).toHaveLength(1)
  })
})
