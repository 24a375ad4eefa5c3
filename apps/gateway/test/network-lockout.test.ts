import { type Network, sendMail } from '@federizer/devnet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { db, deliveryStatus, openNetwork, threeDomains, waitFor } from './federation-helpers.ts'

/**
 * Issue 12 item 4 (reproduction): 61 junk requests to /token from the same address as the domain's own
 * api and MTA (loopback here; one TLS proxy in production) made Alice's next send fail with slow_down.
 * Real nodes and the real DNS server.
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

describe('junk at /token', () => {
  it("61 junk requests are cut off with 429, and Alice's send still goes out and is delivered", {
    timeout: 60_000,
  }, async () => {
    const token = `${network.node('example.com').gatewayUrl}/token`
    const statuses: number[] = []
    for (let i = 0; i < 61; i++) {
      const res = await fetch(token, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=refresh_token&refresh_token=x&client_id=mta.example.com&n=${i}`,
      })
      statuses.push(res.status)
      await res.body?.cancel()
    }
    expect(statuses.at(-1)).toBe(429)
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      subject: 'after the junk',
      text: 'still here',
    })
    const status = await waitFor(async () => {
      const s = await deliveryStatus(db(network, 'example.com'), sent.rowId)
      return s[0]?.state === 'delivered' ? s : undefined
    }, 'delivered despite the junk')
    expect(status[0]?.recipient).toBe('bob@example.net')
  })
})
