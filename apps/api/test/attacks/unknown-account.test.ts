// Issue 12 item 11: a validly signed access token whose subject has no account (never created, or
// deleted since the token was issued) is 401 at every procedure and route, and nothing is created.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signTicket } from '../../src/http/tickets.ts'
import { type Harness, startApi, upload } from '../harness.ts'
import { everyProcedure, filesUnder, leaks, rawCall, rowsFor } from './probe.ts'

let h: Harness
const ghost = 'ghost@example.com'
const cid = '-qrahMkk8cL3k_iPD4NqHqzsursWIiQIh0kN5Lb81I8'

beforeAll(async () => {
  h = await startApi()
})
afterAll(async () => h?.close())

describe('a token for an account that does not exist', () => {
  it('is 401 at every tRPC procedure (health aside), with a clear message, and creates no row', async () => {
    const token = await h.tokenWithoutAccount(ghost)
    const files = await filesUnder(h.dataDir)
    const procedures = everyProcedure().filter((p) => p.path !== 'health')
    expect(procedures.length).toBeGreaterThan(30)
    for (const proc of procedures) {
      const r = await rawCall(h, proc, {}, token)
      expect({ path: proc.path, status: r.status }).toEqual({ path: proc.path, status: 401 })
      expect(r.text).toContain(`there is no account ${ghost} on this domain`)
      expect(leaks(r.text)).toEqual([])
    }
    expect(await rowsFor(h, ghost)).toEqual({})
    expect(await filesUnder(h.dataDir)).toEqual(files)
  })

  it('is 401 at the upload and download routes, and a download link for it reads nothing', async () => {
    const token = await h.tokenWithoutAccount(ghost)
    const files = await filesUnder(h.dataDir)
    const up = await upload(h, token, 'Hi Bob, greetings from Venice! Alice\n', {
      'content-type': 'text/plain',
    })
    expect(up.status).toBe(401)
    expect(await up.json()).toMatchObject({ error: 'unauthorized' })
    const down = await fetch(`${h.baseUrl}/resources/${cid}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(down.status).toBe(401)
    const ticket = signTicket(h.api.ctx.ticketSecret, {
      a: ghost,
      c: cid,
      e: Math.floor(Date.now() / 1000) + 60,
    })
    const byTicket = await fetch(`${h.baseUrl}/resources/${cid}?ticket=${ticket}`)
    expect(byTicket.status).toBe(401)
    expect(await byTicket.text()).toMatch(/no longer exists/)
    expect(await rowsFor(h, ghost)).toEqual({})
    expect(await filesUnder(h.dataDir)).toEqual(files)
  })

  it('is 401 once the account is deleted, though the token was issued while it existed', async () => {
    const gone = 'gone@example.com'
    const token = await h.token(gone)
    const a = h.clientWithToken(token)
    expect(await a.mailbox.list.query()).toHaveLength(6)
    await h.api.ctx.db.deleteFrom('mailboxes').where('account', '=', gone).execute()
    await h.api.ctx.db.deleteFrom('users').where('account', '=', gone).execute()
    const before = await rowsFor(h, gone)
    const r = await rawCall(h, { path: 'mailbox.list', type: 'query' }, {}, token)
    expect(r.status).toBe(401)
    const saved = await rawCall(h, { path: 'draft.save', type: 'mutation' }, { subject: 'x' }, token)
    expect(saved.status).toBe(401)
    expect(await rowsFor(h, gone)).toEqual(before)
  })

  it('a token whose sub is not its email names no account: 401', async () => {
    await h.user('alice@example.com')
    const token = await h.tokenWithoutAccount('alice@example.com', { sub: 'mallory@example.com' })
    const r = await rawCall(h, { path: 'mailbox.list', type: 'query' }, {}, token)
    expect(r.status).toBe(401)
    expect(r.text).toMatch(/subject is not its email/)
  })
})
