import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createPeerFetch } from '@federizer/domain'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { classifyFailure } from '../src/outbound/classify.ts'

/** Issue 12 item 2: the address checked is the address connected to; real sockets on loopback. */
let server: Server
let port: number
let hits = 0

beforeAll(async () => {
  server = createServer((_req, res) => {
    hits++
    res.end('internal')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

const refusal = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e).toBeDefined()
  return classifyFailure(e)
}

describe('peer fetch (production policy)', () => {
  const peer = createPeerFetch({ allowLoopback: false })
  afterAll(() => peer.close())

  it.each([
    'http://127.0.0.1:PORT/', // plain http
    'https://127.0.0.1:PORT/', // loopback literal
    'https://[::ffff:127.0.0.1]:PORT/', // IPv4-mapped loopback
    'https://localhost:PORT/', // a name resolving to loopback: refused by the pinned lookup
  ])('refuses %s before a byte is sent', async (template) => {
    hits = 0
    const why = await refusal(peer.fetch(template.replace('PORT', String(port))))
    expect(why).toBe('its address is not allowed (private or non-https)')
    expect(hits).toBe(0)
  })
})

describe('peer fetch (development policy)', () => {
  const peer = createPeerFetch({ allowLoopback: true, headersTimeoutMs: 500 })
  afterAll(() => peer.close())

  it('reaches loopback over http, never follows a redirect, and classifies a refused connection', async () => {
    const res = await peer.fetch(`http://localhost:${port}/`)
    expect(await res.text()).toBe('internal')
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const deadPort = (closed.address() as AddressInfo).port
    await new Promise((r) => closed.close(r))
    expect(await refusal(peer.fetch(`http://127.0.0.1:${deadPort}/`))).toBe('connection refused')
  })

  it('still refuses plain http to a name that is not loopback', async () => {
    expect(await refusal(peer.fetch(`http://example.com:${port}/`))).toBe(
      'its address is not allowed (private or non-https)',
    )
  })
})
