import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createLeanFetch } from '../src/lean-fetch.ts'

let server: http.Server
let base: string
const lean = createLeanFetch()
beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      if (req.url === '/token') {
        res.writeHead(req.headers['content-type'] === 'application/x-www-form-urlencoded' ? 200 : 400, {
          'content-type': 'application/json',
          'dpop-nonce': 'n-1',
        })
        res.end(JSON.stringify({ echo: body, dpop: req.headers.dpop }))
      } else if (req.url === '/moved') {
        res.writeHead(302, { location: '/token' })
        res.end()
      } else if (req.url === '/huge') {
        res.writeHead(200)
        res.end(Buffer.alloc(2 * 1024 * 1024))
      } else {
        res.writeHead(401, { 'content-type': 'application/json' })
        res.end('{"error":"invalid_client"}')
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await lean.close()
  server.close()
})

it('sends the form and its headers as fetch would, and answers a Response with status, headers and body', async () => {
  const res = await lean.fetch(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: 'proof' },
    body: 'grant_type=x&a=%C3%A9',
    redirect: 'error',
  })
  expect(res.status).toBe(200)
  expect(res.headers.get('dpop-nonce')).toBe('n-1')
  expect(await res.json()).toEqual({ echo: 'grant_type=x&a=%C3%A9', dpop: 'proof' })
  const refused = await lean.fetch(`${base}/other`, { method: 'POST', body: '' })
  expect(refused.status).toBe(401)
  expect(await refused.json()).toEqual({ error: 'invalid_client' })
})

it('follows no redirect, reads no more than 1 MiB, and refuses a body it does not send', async () => {
  await expect(lean.fetch(`${base}/moved`, { method: 'POST', body: 'a', redirect: 'error' })).rejects.toThrow(
    /redirected \(302\)/,
  )
  await expect(lean.fetch(`${base}/huge`)).rejects.toThrow(/more than 1048576 bytes/)
  await expect(
    lean.fetch(`${base}/token`, { method: 'POST', body: new Blob(['a']) as unknown as string }),
  ).rejects.toThrow(/string or bytes body only/)
  // The agent still works after the refusals.
  expect((await lean.fetch(`${base}/token`, { method: 'POST', body: 'b' })).status).toBe(400)
})

it('sends bytes, and reads as much as it is configured to', async () => {
  const big = createLeanFetch({ maxAnswerBytes: 4 * 1024 * 1024, connections: 2, timeoutMs: 5000 })
  try {
    expect((await big.fetch(`${base}/huge`)).status).toBe(200)
    expect(await (await big.fetch(`${base}/huge`)).arrayBuffer()).toHaveProperty(
      'byteLength',
      2 * 1024 * 1024,
    )
    const res = await big.fetch(`${base}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from('grant_type=bytes'),
    })
    expect(await res.json()).toEqual({ echo: 'grant_type=bytes' })
  } finally {
    await big.close()
  }
})
