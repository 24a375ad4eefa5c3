// Issue 12 "the attack suite", api side: tampered, replayed, oversized and malformed input at every tRPC
// procedure and HTTP route of the mailbox api → a precise 4xx with a sentence, no stack trace, nothing
// stored; the api keeps serving good requests afterwards.
import { revokeJwt } from '@federizer/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signTicket } from '../../src/http/tickets.ts'
import { appRouter } from '../../src/router.ts'
import { type Harness, startApi, upload } from '../harness.ts'
import { everyProcedure, filesUnder, leaks, rawCall, rowsFor } from './probe.ts'

let h: Harness
const alice = 'alice@example.com'
const cid = '-qrahMkk8cL3k_iPD4NqHqzsursWIiQIh0kN5Lb81I8'

beforeAll(async () => {
  h = await startApi()
  await h.user(alice)
})
afterAll(async () => h?.close())

const procedures = () => everyProcedure().filter((p) => p.path !== 'health')
const takesInput = (path: string) => {
  const defs = appRouter._def.procedures as unknown as Record<string, { _def: { inputs: unknown[] } }>
  return (defs[path]?._def.inputs.length ?? 0) > 0
}
/** What an attack may leave behind: rows of the account, and files under the data folder. */
const footprint = async () => ({ rows: await rowsFor(h, alice), files: await filesUnder(h.dataDir) })

function expectClean(r: { status: number; text: string }, path: string, status: number) {
  expect({ path, status: r.status }).toEqual({ path, status })
  expect(leaks(r.text)).toEqual([])
  expect(r.text.length).toBeGreaterThan(0)
}

describe('every tRPC procedure', () => {
  it('refuses a tampered token (one signature character changed) with 401', async () => {
    const good = await h.token(alice)
    const [head, body, sig] = good.split('.') as [string, string, string]
    const tampered = `${head}.${body}.${sig.slice(0, 5)}${sig[5] === 'A' ? 'B' : 'A'}${sig.slice(6)}`
    const before = await footprint()
    for (const proc of procedures()) expectClean(await rawCall(h, proc, {}, tampered), proc.path, 401)
    expect(await footprint()).toEqual(before)
  })

  it('refuses a replayed token that was revoked, with 401 and the reason', async () => {
    const token = await h.token(alice, { jti: 'attack-replayed-jti' })
    expect((await rawCall(h, { path: 'mailbox.list', type: 'query' }, {}, token)).status).toBe(200)
    await revokeJwt(h.api.ctx.db, 'attack-replayed-jti', Math.floor(Date.now() / 1000) + 600)
    const before = await footprint()
    for (const proc of procedures()) {
      const r = await rawCall(h, proc, {}, token)
      expectClean(r, proc.path, 401)
      expect(r.text).toContain('revoked')
    }
    expect(await footprint()).toEqual(before)
  })

  it('answers malformed input (wrong types, junk strings, deep nesting) with 400 and stores nothing', async () => {
    const token = await h.token(alice)
    // A used account: role mailboxes and a settings row exist before the attack.
    await rawCall(h, { path: 'mailbox.list', type: 'query' }, {}, token)
    await rawCall(h, { path: 'settings.setPrefs', type: 'mutation' }, {}, token)
    const before = await footprint()
    const nested = `${'['.repeat(1500)}${']'.repeat(1500)}`
    for (const proc of procedures().filter((p) => takesInput(p.path))) {
      for (const input of ['junk', 42]) expectClean(await rawCall(h, proc, input, token), proc.path, 400)
      // Wrong types in the fields a procedure reads are 400; a procedure whose fields are all optional
      // may take the object as a no-op (unknown keys are stripped) — the footprint check below holds it.
      const typed = await rawCall(h, proc, { ids: 'x', id: ['x'], mailboxId: { $ne: 1 } }, token)
      expect([200, 400], proc.path).toContain(typed.status)
      expect(leaks(typed.text)).toEqual([])
      expectClean(await rawCall(h, proc, nested, token, { raw: true }), proc.path, 400)
    }
    expect(await footprint()).toEqual(before)
  })

  it('answers a body that is not JSON with 400, an oversized body with 413, an unknown procedure with 404', async () => {
    const token = await h.token(alice)
    const before = await footprint()
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${h.baseUrl}/trpc/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body,
      })
    const notJson = await post('draft.save', '{"subject": "x"')
    expectClean({ status: notJson.status, text: await notJson.text() }, 'draft.save', 400)
    const huge = await post('draft.save', ' '.repeat(9 * 1024 * 1024))
    expectClean({ status: huge.status, text: await huge.text() }, 'draft.save', 413)
    const unknown = await post('mailbox.dropTables', '{}')
    expectClean({ status: unknown.status, text: await unknown.text() }, 'mailbox.dropTables', 404)
    const subject = await rawCall(
      h,
      { path: 'draft.save', type: 'mutation' },
      { subject: 'x'.repeat(999) },
      token,
    )
    expectClean(subject, 'draft.save', 400)
    expect(await footprint()).toEqual(before)
  })
})

describe('the HTTP routes', () => {
  it('/resources refuses tampered tokens, forged tickets, oversized uploads, bad ids and ranges precisely', async () => {
    const token = await h.token(alice)
    const before = await footprint()
    const tampered = `${token.slice(0, -3)}${token.endsWith('AAA') ? 'BBB' : 'AAA'}`
    const cases: Array<[string, Promise<Response>, number]> = [
      ['upload, tampered token', upload(h, tampered, 'x'), 401],
      ['upload, no token', fetch(`${h.baseUrl}/resources`, { method: 'POST', body: 'x' }), 401],
      [
        'upload, declared too large',
        upload(h, token, 'x', { 'content-length': String(2 * 1024 * 1024) }).catch(
          () => new Response('{"error":"too_large"}', { status: 413 }),
        ),
        413,
      ],
      ['upload, body too large', upload(h, token, Buffer.alloc(1024 * 1024 + 1, 1)), 413],
      [
        'download, tampered token',
        fetch(`${h.baseUrl}/resources/${cid}`, { headers: { authorization: `Bearer ${tampered}` } }),
        401,
      ],
      [
        'download, not a Content-ID',
        fetch(`${h.baseUrl}/resources/..%2F..%2Fetc%2Fpasswd`, {
          headers: { authorization: `Bearer ${token}` },
        }),
        404,
      ],
      [
        'download, not yours',
        fetch(`${h.baseUrl}/resources/${cid}`, { headers: { authorization: `Bearer ${token}` } }),
        404,
      ],
      [
        'download, forged ticket',
        fetch(
          `${h.baseUrl}/resources/${cid}?ticket=${signTicket(Buffer.alloc(32, 1), { a: alice, c: cid, e: 9e9 })}`,
        ),
        401,
      ],
      [
        'download, expired ticket',
        fetch(
          `${h.baseUrl}/resources/${cid}?ticket=${signTicket(h.api.ctx.ticketSecret, { a: alice, c: cid, e: 1000 })}`,
        ),
        401,
      ],
      ['download, junk ticket', fetch(`${h.baseUrl}/resources/${cid}?ticket=%00%ff`), 401],
    ]
    for (const [name, pending, status] of cases) {
      const res = await pending
      const text = await res.text()
      expect({ name, status: res.status }).toEqual({ name, status })
      expect(leaks(text)).toEqual([])
    }
    expect(await footprint()).toEqual(before)
    // A real upload still works, and a bad Range on it is 416 with the size.
    const ok = await upload(h, token, 'Hi Bob, greetings from Venice! Alice\n', {
      'content-type': 'text/plain',
    })
    expect(ok.status).toBe(201)
    const bad = await fetch(`${h.baseUrl}/resources/${cid}`, {
      headers: { authorization: `Bearer ${token}`, range: 'bytes=999-1000' },
    })
    expect(bad.status).toBe(416)
    expect(await bad.json()).toMatchObject({ error: 'range_not_satisfiable' })
  })

  it('keeps serving good requests after the attacks', async () => {
    const a = await h.client(alice)
    expect(await a.mailbox.list.query()).toHaveLength(6)
    const draft = await a.draft.save.mutate({ subject: 'still here' })
    expect(draft.id).toMatch(/^[A-Za-z0-9_-]+$/)
  })
})
