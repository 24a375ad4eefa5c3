/**
 * The MTA's DPoP POST through the peer agent's node-stream request (deliveries and resource fetches):
 * a nonce retry, a large refusal read only in part, and a body left unread end without any uncaught
 * error (a destroyed undici body emits one), and the agent serves the next request.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createPeerFetch } from '@federizer/domain'
import { createDpopKey } from '@federizer/protocol'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { discardBody, dpopPost, readAtMost, readProblem } from '../src/mta/dpop-post.ts'

let server: Server
let base: string
const peer = createPeerFetch({ allowLoopback: true })
const proofs: string[] = []
beforeAll(async () => {
  server = createServer((req, res) => {
    proofs.push(String(req.headers.dpop))
    req.resume()
    if (req.url === '/nonce' && proofs.length % 2 === 1) {
      res.writeHead(401, { 'dpop-nonce': 'fresh', 'content-type': 'application/json' })
      res.end('{"error":"use_dpop_nonce"}')
    } else if (req.url === '/big-refusal') {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end(`{"error":"server_broke","error_description":"${'x'.repeat(2 * 1024 * 1024)}"}`)
    } else if (req.url === '/bytes') {
      res.writeHead(200)
      res.end(Buffer.alloc(8 * 1024 * 1024, 1))
    } else {
      res.writeHead(202, { 'content-type': 'application/json' })
      res.end('{"results":[]}')
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await peer.close()
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

const post = async (path: string) =>
  dpopPost({
    fetch: peer.fetch,
    stream: peer.stream,
    url: `${base}${path}`,
    token: 'tok',
    key: await createDpopKey(),
    body: '{}',
    now: () => Math.floor(Date.now() / 1000),
  })

it('retries once with the nonce the server asked for, with a fresh proof', async () => {
  const res = await post('/nonce')
  expect(res.status).toBe(202)
  expect(await readAtMost(res, 4096)).toBe('{"results":[]}')
  expect(proofs.slice(-2)[0]).not.toBe(proofs.slice(-2)[1])
})

it('reads 4 KiB of a 2 MiB refusal, and an unread body is dropped without an uncaught error', async () => {
  const refused = await post('/big-refusal')
  const problem = await readProblem(refused)
  expect(problem).toMatchObject({ error: 'http_500', description: 'HTTP 500 (server error)' })
  const unread = await post('/bytes')
  expect(unread.status).toBe(200)
  discardBody(unread.body)
  await new Promise((r) => setTimeout(r, 50))
  const next = await post('/ok')
  expect(await readAtMost(next, 4096)).toBe('{"results":[]}')
})
