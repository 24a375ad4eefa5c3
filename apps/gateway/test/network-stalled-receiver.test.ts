import { type Network, sendMail } from '@federizer/devnet'
import type { NextFunction, Request, Response } from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OUTBOX_INITIAL_WINDOW } from '../src/mta/limits.ts'
import { db, messagesIn, openNetwork, threeDomains, waitFor } from './federation-helpers.ts'

/**
 * The outbox's counterpart of network-slow-peer.test.ts: example.org plays a receiver that accepts
 * connections and never answers a delivery (a middleware in front of its real gateway's routes holds
 * every POST to its delivery endpoint). Alice's MTA (example.com) must keep delivering to example.net,
 * and a domain it has not heard from gets only its initial window of slots (mta/window.ts), not 16.
 */
let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
let hang = true
const held: Response[] = []

beforeAll(async () => {
  net = await openNetwork({
    domains: threeDomains({ 'example.org': { gatewayOptions: { leanRoutes: false } } }),
  })
  network = net.network
  const app = network.node('example.org').gateway!.app as unknown as {
    use(fn: unknown): void
    router: { stack: unknown[] }
  }
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!hang || req.method !== 'POST' || !req.path.endsWith('/federizer/deliveries')) return next()
    held.push(res) // never answered while the test runs
  })
  const stack = app.router.stack
  stack.unshift(stack.pop())
}, 60_000)
afterAll(async () => {
  for (const res of held) res.destroy()
  await net?.close()
})

describe('a receiver that never answers', () => {
  it('holds no more than its initial window while example.net still gets its mail', {
    timeout: 90_000,
  }, async () => {
    const alice = network.node('example.com')
    for (let i = 0; i < 12; i++)
      await sendMail(alice, {
        from: 'alice@example.com',
        to: ['bobby@example.org'],
        subject: `stalled ${i}`,
        text: `to a receiver that never answers ${i}`,
      })
    await waitFor(async () => held.length >= OUTBOX_INITIAL_WINDOW, 'deliveries held by example.org')
    await sendMail(alice, {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      subject: 'healthy',
      text: 'to a domain that answers',
    })
    const bobDb = db(network, 'example.net')
    await waitFor(
      async () =>
        (await messagesIn(bobDb, 'bob@example.net', 'inbox')).find(
          (r) => r.subject === 'healthy' && r.content_state === 'complete',
        ),
      'the message to example.net delivered while example.org hangs',
      20_000,
    )
    // Give the MTA time to claim more rows for example.org if it would: it must not.
    await new Promise((r) => setTimeout(r, 1500))
    expect(held.length).toBe(OUTBOX_INITIAL_WINDOW)
    // The other eight wait in the queue; nothing was bounced or given up.
    const aliceDb = db(network, 'example.com')
    const rows = await aliceDb
      .selectFrom('outbox')
      .select(['state'])
      .where('recipient_domain', '=', 'example.org')
      .execute()
    expect(rows).toHaveLength(12)
    expect(rows.every((r) => r.state === 'queued' || r.state === 'held')).toBe(true)
  })

  it('delivers the waiting mail once the receiver answers again', { timeout: 120_000 }, async () => {
    hang = false
    // The held connections drop: those attempts fail for now and are retried; the rest are delivered.
    for (const res of held.splice(0)) res.destroy()
    const bobbyDb = db(network, 'example.org')
    await waitFor(
      async () => {
        const inbox = await messagesIn(bobbyDb, 'bobby@example.org', 'inbox')
        return inbox.filter((r) => r.subject.startsWith('stalled')).length === 12
      },
      'all twelve messages at example.org',
      100_000,
    )
    const aliceDb = db(network, 'example.com')
    await waitFor(async () => {
      const rows = await aliceDb
        .selectFrom('outbox')
        .select('state')
        .where('recipient_domain', '=', 'example.org')
        .execute()
      return rows.every((r) => r.state === 'delivered')
    }, 'every outbox row to example.org recorded as delivered')
    // The four dropped attempts halved example.org's window to 1 (4 → 2 → 1 → 1 → 1; no other of its
    // rows could start meanwhile), then each of the twelve deliveries grew it by one.
    expect(network.node('example.com').gateway!.ctx.federation.windows.outbox.limit('example.org')).toBe(13)
  })
})
