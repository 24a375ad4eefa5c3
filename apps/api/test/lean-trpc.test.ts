import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startApi } from './harness.ts'

// The listener answers /trpc/* without express (app.ts); `leanRoutes: false` sends the same calls through
// express. Both must give the same answer, status and body, to good and bad calls alike.
describe('tRPC calls with and without express', () => {
  let lean: Harness
  let viaExpress: Harness
  let mounted: Harness
  beforeAll(async () => {
    lean = await startApi()
    viaExpress = await startApi({ api: { leanRoutes: false } })
    mounted = await startApi({ configure: (c) => ({ ...c, apiUrl: `${c.apiUrl}/mail` }) })
  })
  afterAll(async () => {
    await lean?.close()
    await viaExpress?.close()
    await mounted?.close()
  })

  async function call(h: Harness, path: string, init: RequestInit = {}) {
    const res = await fetch(`${h.baseUrl}/trpc/${path}`, init)
    const text = await res.text()
    return { status: res.status, requestId: res.headers.get('x-request-id'), body: text }
  }

  const signedIn = async (h: Harness) => ({ authorization: `Bearer ${await h.token('ann@example.com')}` })
  const postJson = (body: string) => async (h: Harness) => ({
    method: 'POST',
    headers: { ...(await signedIn(h)), 'content-type': 'application/json' },
    body,
  })
  const cases: Array<[string, string, (h: Harness) => Promise<RequestInit>]> = [
    ['a signed-in query', 'account.me', async (h) => ({ headers: await signedIn(h) })],
    ['no token', 'account.me', async () => ({})],
    ['an unknown procedure', 'account.nothing', async () => ({})],
    ['a mutation by GET', 'draft.delete', async (h) => ({ headers: await signedIn(h) })],
    ['input that fails validation', 'draft.delete', postJson(JSON.stringify({ id: 42 }))],
    ['a body that is not JSON', 'draft.delete', postJson('{')],
  ]

  it.each(cases)('%s: the same status and body either way', async (_what, path, init) => {
    const a = await call(lean, path, await init(lean))
    const b = await call(viaExpress, path, await init(viaExpress))
    expect(a.status).toBe(b.status)
    expect(a.body).toBe(b.body)
    expect(a.requestId).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('answers 200 to a signed-in query, 401 without a token, 404 for an unknown procedure', async () => {
    const token = await lean.token('ann@example.com')
    expect((await call(lean, 'account.me', { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    )
    expect((await call(lean, 'account.me')).status).toBe(401)
    expect((await call(lean, 'account.nothing')).status).toBe(404)
  })

  it('keeps a caller’s request id, and serves an api mounted under a path', async () => {
    const traced = await fetch(`${lean.baseUrl}/trpc/account.me`, { headers: { 'x-request-id': 'trace-7' } })
    expect(traced.headers.get('x-request-id')).toBe('trace-7')
    const token = await mounted.token('ann@example.com')
    const me = await call(mounted, 'account.me', { headers: { authorization: `Bearer ${token}` } })
    expect(me.status).toBe(200)
    expect(JSON.parse(me.body).result.data.email).toBe('ann@example.com')
  })
})
