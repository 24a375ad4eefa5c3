import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Network, sendMail } from '@federizer/devnet'
import { setAutoForward, setForwardPolicy } from '@federizer/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { db, deliveryStatus, messagesIn, openNetwork, threeDomains, waitFor } from './federation-helpers.ts'

/**
 * Issue 12 item 13: permanence is decided by status and stable error code only, and a recipient the
 * receiver's answer does not name is retried, never counted as accepted. Real nodes, real DNS.
 */
let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
let partial: Server

beforeAll(async () => {
  net = await openNetwork({ domains: threeDomains() })
  network = net.network
}, 60_000)
afterAll(async () => {
  partial?.closeAllConnections()
  await new Promise((r) => (partial ? partial.close(r) : r(undefined)))
  await net?.close()
})

describe('auto-forward refusals', () => {
  it('a policy refusal naming a domain called "temporarily…" is final at once (not matched by text)', {
    timeout: 60_000,
  }, async () => {
    const netDb = db(network, 'example.net')
    await setAutoForward(netDb, 'dave@example.net', ['x@temporarily.example'])
    await setForwardPolicy(netDb, 'dave@example.net', 'denied')
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['dave@example.net'],
      subject: 'no forwarding',
      text: 'keep it',
    })
    const job = await waitFor(async () => {
      const row = await netDb
        .selectFrom('forward_jobs')
        .innerJoin('messages', 'messages.id', 'forward_jobs.message_row_id')
        .select(['forward_jobs.state', 'forward_jobs.attempts', 'forward_jobs.last_error'])
        .where('messages.message_id_header', '=', sent.messageIdHeader)
        .executeTakeFirst()
      return row?.attempts ? row : undefined
    }, 'the first forward attempt')
    expect(job.state).toBe('failed')
    expect(job.attempts).toBe(1)
    expect(job.last_error).toContain('temporarily.example')
  })
})

describe('a receiver whose answer leaves a recipient out', () => {
  it('retries the delivery instead of marking the missing recipient delivered', {
    timeout: 60_000,
  }, async () => {
    // partial.test: a real mailbox document on its own origin whose delivery endpoint answers 202 naming
    // only the first recipient.
    partial = createServer((req, res) => {
      const origin = `http://localhost:${(partial.address() as AddressInfo).port}`
      if (req.url === '/.well-known/federizer') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            domain: 'partial.test',
            resource_url: origin,
            issuer: origin,
            mta_client_id: 'mta.partial.test',
            delivery_endpoint: `${origin}/federizer/deliveries`,
            fetch_endpoint: `${origin}/federizer/fetch`,
          }),
        )
      } else if (req.url === '/federizer/deliveries') {
        req.resume()
        res
          .writeHead(202, { 'content-type': 'application/json' })
          .end(JSON.stringify({ results: [{ recipient: 'one@partial.test', status: 'accepted' }] }))
      } else res.writeHead(404).end()
    })
    await new Promise<void>((r) => partial.listen(0, '127.0.0.1', r))
    const port = (partial.address() as AddressInfo).port
    network.dns.setRecords({
      srv: [
        ...network.srvRecords(),
        { name: '_federizer._rs._tcp.partial.test', target: 'localhost', port, ttl: 1 },
      ],
    })
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['one@partial.test', 'two@partial.test'],
      subject: 'two recipients',
      text: 'hi',
    })
    const status = await waitFor(async () => {
      const rows = await deliveryStatus(db(network, 'example.com'), sent.rowId)
      return rows.some((r) => r.detail?.includes('did not confirm')) ? rows : undefined
    }, 'a retried attempt')
    expect(status.find((r) => r.recipient === 'two@partial.test')?.state).not.toBe('delivered')
    const outbox = await db(network, 'example.com')
      .selectFrom('outbox')
      .select(['state'])
      .where('message_row_id', '=', sent.rowId)
      .executeTakeFirstOrThrow()
    expect(outbox.state).toBe('queued')
    expect(await messagesIn(db(network, 'example.com'), 'alice@example.com', 'inbox')).toEqual([])
  })
})
