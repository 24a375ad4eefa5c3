import { freePort, type Network, sendMail } from '@federizer/devnet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { db, deliveryStatus, messagesIn, openNetwork, threeDomains, waitFor } from './federation-helpers.ts'

/**
 * Issue 12 item 12: a receiver that cannot complete verification (the sender's AS unreachable at that
 * moment) answers 503 + Retry-After + temporarily_unavailable, and the sender retries instead of
 * bouncing. Real nodes and the real DNS server: the sender's AS record points at a dead port for a while.
 */
let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network

beforeAll(async () => {
  net = await openNetwork({ domains: threeDomains().slice(0, 2) })
  network = net.network
}, 60_000)
afterAll(async () => {
  await net?.close()
})

describe("the sender's AS is down during a delivery", () => {
  it('the receiver answers 503 temporarily_unavailable, and the message is delivered once it is back — no bounce', {
    timeout: 90_000,
  }, async () => {
    const good = network.srvRecords()
    const dead = await freePort()
    network.dns.setRecords({
      srv: good.map((r) => (r.name === '_federizer._as._tcp.example.com' ? { ...r, port: dead } : r)),
    })
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      subject: 'while the AS is down',
      text: 'hello',
    })
    const sender = db(network, 'example.com')
    // The receiver could not verify: the attempt is retried, with the receiver's code in the status.
    const waiting = await waitFor(async () => {
      const s = await deliveryStatus(sender, sent.rowId)
      return s[0]?.detail?.includes('temporarily_unavailable') ? s : undefined
    }, 'a retried attempt answered temporarily_unavailable')
    expect(waiting[0]?.state).toMatch(/queued|delayed/)
    network.dns.setRecords({ srv: good })
    await waitFor(
      async () => {
        const s = await deliveryStatus(sender, sent.rowId)
        return s[0]?.state === 'delivered' ? s : undefined
      },
      'delivered after the AS is back',
      60_000,
    )
    expect(await messagesIn(db(network, 'example.net'), 'bob@example.net', 'inbox')).toHaveLength(1)
    const failures = await sender
      .selectFrom('messages')
      .select('subject')
      .where('subject', 'like', 'Undeliverable%')
      .execute()
    expect(failures).toEqual([])
  })
})
