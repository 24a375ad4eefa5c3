import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { leanTokenRoute } from '../src/as/token-lean.ts'
import { leanServer, startDomain, type TestDomain } from './as-helpers.ts'

let d: TestDomain
/** A server that runs only the lean route(s); what they leave to express is answered 418 here. */
let lean: Awaited<ReturnType<typeof leanServer>>
let leanUrl: string
beforeAll(async () => {
  d = await startDomain('example.com')
  lean = await leanServer(leanTokenRoute(d.gateway.ctx, '/token', () => false))
  leanUrl = lean.url
})
afterAll(async () => {
  await lean.close()
  await d.close()
})

const FORM = 'application/x-www-form-urlencoded'
const exchange = 'grant_type=client_credentials&client_id=mta.example.com'

async function post(base: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': FORM, ...headers },
    body,
  })
  const text = await res.text()
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, string>) : {},
  }
}

// token-lean.ts: servers' token requests are answered without express; the rest is left to the express route.
describe('POST /token without express (token-lean.ts)', () => {
  it('answers a server’s form itself, with the headers of the express route', async () => {
    const res = await post(leanUrl, exchange)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers.get('vary')).toBe('Origin')
    // The same request through the gateway gets the same answer.
    const viaGateway = await post(d.url, exchange)
    expect([viaGateway.status, viaGateway.body.error]).toEqual([401, 'invalid_client'])
  })

  it('leaves to express what it does not take: a browser, another media type or charset, a chunked or compressed body', async () => {
    const origin = new URL(d.config.apiUrl).origin
    expect((await post(leanUrl, exchange, { origin })).status).toBe(418)
    expect((await post(leanUrl, exchange, { 'content-type': 'text/plain' })).status).toBe(418)
    expect((await post(leanUrl, exchange, { 'content-type': `${FORM}; charset=iso-8859-1` })).status).toBe(
      418,
    )
    expect((await post(leanUrl, exchange, { 'content-encoding': 'gzip' })).status).toBe(418)
    expect((await post(leanUrl, 'x='.padEnd(70_000, 'a'))).status).toBe(418)
    const chunked = await fetch(`${leanUrl}/token`, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(exchange))
          c.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(chunked.status).toBe(418)
    // The UTF-8 charset, declared, is a plain form.
    expect((await post(leanUrl, exchange, { 'content-type': `${FORM}; charset=UTF-8` })).status).toBe(401)
    // Another path or method is not the token endpoint.
    expect(
      (
        await fetch(`${leanUrl}/token?x=1`, {
          method: 'POST',
          headers: { 'content-type': FORM },
          body: exchange,
        })
      ).status,
    ).toBe(418)
    expect((await fetch(`${leanUrl}/token`)).status).toBe(418)
  })

  it('and the gateway answers those through express as before (CORS for the webmail, 415 for another charset)', async () => {
    const origin = new URL(d.config.apiUrl).origin
    const browser = await post(d.url, exchange, { origin })
    expect(browser.status).toBe(401)
    expect(browser.headers.get('access-control-allow-origin')).toBe(origin)
    const latin1 = await post(d.url, exchange, { 'content-type': `${FORM}; charset=iso-8859-1` })
    expect([latin1.status, latin1.body.error]).toEqual([415, 'invalid_request'])
    const tooLarge = await post(d.url, 'x='.padEnd(70_000, 'a'))
    expect([tooLarge.status, tooLarge.body.error_description]).toEqual([413, 'the request body exceeds 64kb'])
  })

  it('refuses a repeated parameter and a form of more than 50 parameters, as readForm does', async () => {
    const repeated = await post(leanUrl, `${exchange}&client_id=other`)
    expect([repeated.status, repeated.body.error]).toEqual([400, 'invalid_request'])
    expect(repeated.body.error_description).toBe('the "client_id" parameter appears more than once')
    const viaExpress = await post(d.url, `${exchange}&client_id=other`, {
      origin: 'https://elsewhere.example',
    })
    expect(viaExpress.body).toEqual(repeated.body)
    const many = Array.from({ length: 51 }, (_, i) => `p${i}=v`).join('&')
    const tooMany = await post(leanUrl, many)
    expect([tooMany.status, tooMany.body.error]).toEqual([413, 'invalid_request'])
    expect(tooMany.body.error_description).toBe('the form has more than 50 parameters')
  })

  it('a client that sends less than its Content-Length and leaves gets no answer, and the server goes on', async () => {
    const port = Number(new URL(lean.url).port)
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        path: '/token',
        method: 'POST',
        headers: { 'content-type': FORM, 'content-length': '500' },
      })
      req.on('error', () => resolve())
      req.on('response', () => resolve())
      req.write(exchange)
      setTimeout(() => {
        req.destroy()
        resolve()
      }, 100)
    })
    expect((await post(leanUrl, exchange)).status).toBe(401)
  })
})
