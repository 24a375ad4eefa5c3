import { type Network, sendMail } from '@federizer/devnet'
import type { NextFunction, Request, Response } from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FETCH_PER_DESTINATION } from '../src/mta/limits.ts'
import { db, messagesIn, openNetwork, threeDomains, waitFor } from './federation-helpers.ts'

/**
 * Issue 12 item 7: a peer can stall or exhaust the MTA. example.org plays the hostile origin: its real
 * gateway's fetch endpoint is made to hang (or to answer with a 64 MiB error body) by a middleware put
 * in front of its routes. Bob's gateway (example.net) fetches from it and from example.com.
 */
let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
let mode: 'hang' | 'huge' | 'normal' = 'normal'
const held: Response[] = []
/** The most any one huge answer got written before its reader dropped it. */
let hugeBytesWritten = 0
let hugeFinished = false

/** Puts `mw` before every route of example.org's running gateway (express 5 router stack). */
function inFront(mw: (req: Request, res: Response, next: NextFunction) => void) {
  const app = network.node('example.org').gateway!.app as unknown as {
    use(fn: unknown): void
    router: { stack: unknown[] }
  }
  app.use(mw)
  const stack = app.router.stack
  stack.unshift(stack.pop())
}

beforeAll(async () => {
  // Bob's node takes no pushed bodies, so every message is fetched from its origin (the path under test).
  // example.org's requests all go through its express app, where the middleware below stands.
  net = await openNetwork({
    domains: threeDomains({
      'example.net': { gatewayOptions: { pushMaxBytes: 0 } },
      'example.org': { gatewayOptions: { leanRoutes: false } },
    }),
  })
  network = net.network
  inFront((req, res, next) => {
    if (req.method !== 'POST' || !req.path.endsWith('/federizer/fetch') || mode === 'normal') return next()
    if (mode === 'hang') {
      held.push(res) // never answered while the test runs
      return
    }
    // 64 MiB of error body, written as fast as the reader takes it.
    res.writeHead(500, { 'content-type': 'text/plain' })
    const chunk = Buffer.alloc(1 << 20, 'x')
    let written = 0
    const write = () => {
      while (written < 64 << 20) {
        written += chunk.length
        hugeBytesWritten = Math.max(hugeBytesWritten, written)
        if (!res.write(chunk)) return void res.once('drain', write)
      }
      hugeFinished = true
      res.end()
    }
    res.on('close', () => res.removeAllListeners('drain'))
    write()
  })
}, 60_000)
afterAll(async () => {
  for (const res of held) res.destroy()
  await net?.close()
})

describe('a slow origin cannot starve the others', () => {
  it("16 hanging fetches from example.org do not stall example.com's", { timeout: 90_000 }, async () => {
    mode = 'hang'
    for (let i = 0; i < 16; i++) {
      await sendMail(network.node('example.org'), {
        from: 'bobby@example.org',
        to: ['bob@example.net'],
        subject: `slow ${i}`,
        text: `slow body ${i}`,
      })
    }
    const bobDb = db(network, 'example.net')
    // Bob's MTA has started the slow fetches before the good message arrives.
    await waitFor(async () => held.length >= 1 && held.length, 'a fetch held by example.org')
    await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      subject: 'good',
      text: 'from a healthy domain',
    })
    await waitFor(
      async () => {
        const rows = await messagesIn(bobDb, 'bob@example.net', 'inbox')
        return rows.find((r) => r.subject === 'good' && r.content_state === 'complete')
      },
      "example.com's message fetched while example.org hangs",
      20_000,
    )
    const slow = (await messagesIn(bobDb, 'bob@example.net', 'inbox')).filter((r) =>
      r.subject.startsWith('slow'),
    )
    expect(slow).toHaveLength(16)
    // Still hanging: the good fetch did not wait for them to end.
    expect(slow.every((r) => r.content_state !== 'complete')).toBe(true)
    expect(held.length).toBeLessThanOrEqual(4)
  })

  it('a 64 MiB error body is not read: a few KiB, then the connection is dropped', {
    timeout: 60_000,
  }, async () => {
    for (const res of held.splice(0)) res.destroy()
    mode = 'huge'
    const rssBefore = process.memoryUsage().rss
    await sendMail(network.node('example.org'), {
      from: 'bobby@example.org',
      to: ['bob@example.net'],
      subject: 'huge error',
      text: 'x',
    })
    const bobDb = db(network, 'example.net')
    await waitFor(async () => {
      const job = await bobDb
        .selectFrom('fetch_jobs')
        .innerJoin('messages', 'messages.id', 'fetch_jobs.message_row_id')
        .select(['fetch_jobs.last_error'])
        .where('messages.subject', '=', 'huge error')
        .executeTakeFirst()
      return job?.last_error?.includes('HTTP 500')
    }, 'a failed fetch attempt recorded')
    // Unanswered attempts (the dropped hangs, the 500) shrink the origin's fetch window below its 4.
    const windows = network.node('example.net').gateway!.ctx.federation.windows
    expect(windows.fetch.limit('example.org')).toBeLessThan(FETCH_PER_DESTINATION)
    expect(windows.fetch.limit('example.com')).toBe(FETCH_PER_DESTINATION)
    expect(hugeFinished).toBe(false)
    expect(hugeBytesWritten).toBeLessThan(32 << 20)
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 << 20)
    mode = 'normal'
  })
})
