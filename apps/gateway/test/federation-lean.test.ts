import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { leanFederationRoutes } from '../src/federation/lean.ts'
import { leanServer, startDomain, type TestDomain } from './as-helpers.ts'

let d: TestDomain
/** A server that runs only the lean route(s); what they leave to express is answered 418 here. */
let lean: Awaited<ReturnType<typeof leanServer>>
let leanUrl: string
beforeAll(async () => {
  d = await startDomain('example.com')
  lean = await leanServer(leanFederationRoutes(d.gateway.ctx, ''))
  leanUrl = lean.url
})
afterAll(async () => {
  await lean.close()
  await d.close()
})

async function post(url: string, body: string, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', headers, body })
  const text = await res.text()
  const h = Object.fromEntries(
    ['cache-control', 'content-type', 'www-authenticate', 'retry-after'].map((n) => [n, res.headers.get(n)]),
  )
  return { status: res.status, headers: h, requestId: res.headers.get('x-request-id'), body: text }
}

// Refusals a peer gets for the usual mistakes: each answered by the lean route exactly as by the express
// route (reached here with a query string, which the lean route leaves to it).
const CASES: Array<[string, string, string, Record<string, string>]> = [
  ['deliveries', 'no credentials', '{}', { 'content-type': 'application/json' }],
  [
    'deliveries',
    'a DPoP token without its proof',
    '{}',
    { 'content-type': 'application/json', authorization: 'DPoP abc.def.ghi' },
  ],
  ['deliveries', 'another media type', 'x', { 'content-type': 'text/plain', authorization: 'DPoP a.b.c' }],
  ['fetch', 'no credentials', '{}', { 'content-type': 'application/json' }],
  ['fetch', 'a Bearer token', '{}', { 'content-type': 'application/json', authorization: 'Bearer x' }],
]

describe('POST /federizer/deliveries and /federizer/fetch without express (federation/lean.ts)', () => {
  it.each(CASES)(
    '%s, %s: the same status, headers and body as the express route',
    async (route, _, body, headers) => {
      const viaLean = await post(`${leanUrl}/federizer/${route}`, body, headers)
      const viaExpress = await post(`${d.url}/federizer/${route}?via=express`, body, headers)
      expect(viaLean.status).toBeGreaterThanOrEqual(400)
      expect(viaLean.status).toBeLessThan(500)
      expect(viaLean.body).toContain('"error_description"')
      expect({ ...viaLean, requestId: undefined }).toEqual({ ...viaExpress, requestId: undefined })
      expect(viaLean.requestId).toMatch(/^[0-9a-f-]{36}$/)
    },
  )

  it('leaves to express another method, path or a query string', async () => {
    expect((await fetch(`${leanUrl}/federizer/deliveries`)).status).toBe(418)
    expect((await post(`${leanUrl}/federizer/deliveries?x=1`, '{}', {})).status).toBe(418)
    expect((await post(`${leanUrl}/federizer/deliveries/`, '{}', {})).status).toBe(418)
    expect((await post(`${leanUrl}/token`, '{}', {})).status).toBe(418)
  })
})
