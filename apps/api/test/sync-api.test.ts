import { createUser, getAutoForwardSettings, insertMessage, setContentState } from '@federizer/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errorCode, type Harness, startApi } from './harness.ts'

let h: Harness
const alice = 'alice@example.com'
const bob = 'bob@example.com'

beforeAll(async () => {
  h = await startApi()
})
afterAll(async () => h?.close())

const incoming = (n: number, extra: [string, string][] = []) => ({
  envelope: [
    {
      headers: [
        ['From', 'Carol <carol@example.net>'],
        ['To', alice],
        ['Subject', `Topic ${n}`],
        ['Message-ID', `<s${n}@example.net>`],
        ...extra,
        ['Content-Type', 'multipart/mixed'],
      ] as [string, string][],
    },
  ],
  parts: [],
})

type Client = Awaited<ReturnType<Harness['client']>>

/** What a webmail holds: message id → the summary it fetched last. */
async function pullAll(c: Client, view: Map<string, string>, since: string, max: number): Promise<string> {
  let state = since
  for (let i = 0; i < 500; i++) {
    const ch = await c.sync.changes.query({ since: state, max })
    if (ch.kind !== 'changes') throw new Error('cannotCalculateChanges')
    const ids = [...ch.created, ...ch.updated]
    if (ids.length) {
      const got = await c.message.get.query({ ids })
      for (const m of got.messages) view.set(m.id, `${m.mailboxId} ${m.keywords.join(',')} ${m.contentState}`)
      for (const id of got.notFound) view.delete(id)
    }
    for (const id of ch.destroyed) view.delete(id)
    state = ch.newState
    if (!ch.hasMore) return state
  }
  throw new Error('never finished')
}

async function fullView(c: Client): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const box of await c.mailbox.list.query()) {
    let cursor: string | undefined
    do {
      const page = await c.message.list.query({
        mailboxId: box.id,
        limit: 100,
        ...(cursor ? { cursor } : {}),
      })
      for (const m of page.items) out.set(m.id, `${m.mailboxId} ${m.keywords.join(',')} ${m.contentState}`)
      cursor = page.nextCursor ?? undefined
    } while (cursor)
  }
  return out
}

describe('sync over tRPC', () => {
  it('from the empty state and from every intermediate state, any page size, converges to the mailbox', async () => {
    const a = await h.client(alice)
    const snapshots: Array<{ state: string; view: Map<string, string> }> = []
    const snap = async () => {
      const { state } = await a.sync.state.query()
      snapshots.push({ state, view: await fullView(a) })
    }
    await snap()
    const ids: string[] = []
    for (let i = 0; i < 4; i++) {
      const { id } = await insertMessage(h.api.ctx.db, {
        account: alice,
        mailboxRole: 'inbox',
        placeholder: incoming(i),
        contentState: 'arriving',
      })
      ids.push(id)
      await snap()
    }
    await setContentState(h.api.ctx.db, { id: ids[0]!, contentState: 'complete' })
    await snap()
    await a.message.setKeywords.mutate({ ids: [ids[1]!, ids[2]!], add: ['$seen'] })
    await snap()
    await a.message.destroy.mutate({ ids: [ids[3]!] })
    await snap()
    await a.message.destroy.mutate({ ids: [ids[3]!] })
    await snap()
    const { id: folder } = await a.mailbox.create.mutate({ name: 'Later' })
    await a.message.move.mutate({ ids: [ids[2]!], mailboxId: folder })
    await snap()

    const final = await fullView(a)
    const { state: finalState } = await a.sync.state.query()
    for (const s of snapshots) {
      for (const max of [1, 2, 500]) {
        const view = new Map(s.view)
        expect(await pullAll(a, view, s.state, max)).toBe(finalState)
        expect(view).toEqual(final)
      }
    }
  })

  it('is per account, reports mailbox changes, and rejects states it never issued', async () => {
    const b = await h.client(bob)
    const { state } = await b.sync.state.query()
    await insertMessage(h.api.ctx.db, { account: alice, mailboxRole: 'inbox', placeholder: incoming(50) })
    expect((await b.sync.state.query()).state).toBe(state)
    await b.mailbox.create.mutate({ name: 'Bob folder' })
    const ch = await b.sync.changes.query({ since: state })
    expect(ch).toMatchObject({ kind: 'changes', mailboxesChanged: true, created: [] })
    expect(await errorCode(b.sync.changes.query({ since: 'abc' }))).toBe('BAD_REQUEST')
    expect(await errorCode(b.sync.changes.query({ since: '99999999' }))).toBe('BAD_REQUEST')
    expect(await errorCode(b.sync.changes.query({ since: state, max: 0 }))).toBe('BAD_REQUEST')
  })
})

describe('threads, search, settings, contacts', () => {
  it('groups a thread by X-Thread-ID and In-Reply-To and finds it by subject or address', async () => {
    const a = await h.client(alice)
    await insertMessage(h.api.ctx.db, {
      account: alice,
      mailboxRole: 'inbox',
      placeholder: incoming(100, [['X-Thread-ID', '<thread100@example.net>']]),
      receivedAt: 100,
    })
    await insertMessage(h.api.ctx.db, {
      account: alice,
      mailboxRole: 'inbox',
      placeholder: incoming(101, [['In-Reply-To', '<s100@example.net>']]),
      receivedAt: 101,
    })
    const thread = await a.message.thread.query({ threadId: '<thread100@example.net>' })
    expect(thread.map((m) => m.subject)).toEqual(['Topic 100', 'Topic 101'])
    const hits = await a.message.search.query({ query: 'Topic 101' })
    expect(hits[0]?.subject).toBe('Topic 101')
    expect((await a.message.search.query({ query: 'carol@example.net' })).length).toBeGreaterThan(1)
    expect(await errorCode(a.message.search.query({ query: '   ' }))).toBe('BAD_REQUEST')
    expect(await errorCode(a.message.search.query({ query: 'x', mailboxId: 'mb_notmine' }))).toBe('NOT_FOUND')
  })

  it('auto-forward settings round-trip; forwarding to oneself is refused', async () => {
    const a = await h.client(alice)
    expect(await a.settings.get.query()).toMatchObject({ autoForward: null })
    // The target is checked when saved: a mailbox of this domain must exist (a foreign domain must be
    // discoverable; that case runs against real DNS in the browser suite).
    expect(await errorCode(a.settings.setAutoForward.mutate({ to: ['Bobby@Example.com'] }))).toBe(
      'BAD_REQUEST',
    )
    await createUser(h.api.ctx.db, {
      email: 'bobby@example.com',
      password: 'bobby-password',
      scrypt: { N: 1024, r: 8, p: 1 },
    })
    expect(await a.settings.setAutoForward.mutate({ to: ['Bobby@Example.com'] })).toEqual({
      autoForward: ['bobby@example.com'],
      forwardEnabled: true,
      keepCopy: true,
    })
    expect(await a.settings.setAutoForward.mutate({ to: ['bobby@example.com'], keepCopy: false })).toEqual({
      autoForward: ['bobby@example.com'],
      forwardEnabled: true,
      keepCopy: false,
    })
    expect(await a.settings.get.query()).toMatchObject({
      autoForward: ['bobby@example.com'],
      keepCopy: false,
    })
    expect(await errorCode(a.settings.setAutoForward.mutate({ to: [alice] }))).toBe('BAD_REQUEST')
    expect(await errorCode(a.settings.setAutoForward.mutate({ to: ['nope'] }))).toBe('BAD_REQUEST')
    // Switched off, the address and the copy setting stay for turning it on again (issue 16).
    expect(
      await a.settings.setAutoForward.mutate({ to: ['bobby@example.com'], keepCopy: false, enabled: false }),
    ).toEqual({ autoForward: ['bobby@example.com'], forwardEnabled: false, keepCopy: false })
    expect(await getAutoForwardSettings(h.api.ctx.db, alice)).toBeNull()
    expect(await a.settings.get.query()).toMatchObject({
      autoForward: ['bobby@example.com'],
      forwardEnabled: false,
    })
    await a.settings.setAutoForward.mutate({ to: null })
    expect((await a.settings.get.query()).autoForward).toBeNull()
    // Bob's settings are his own.
    expect((await (await h.client(bob)).settings.get.query()).autoForward).toBeNull()
  })

  it('suggests contacts from received mail, and account.me answers who is signed in', async () => {
    const a = await h.client(alice)
    expect(await a.contacts.suggest.query({ prefix: 'car' })).toEqual([
      { name: 'Carol', address: 'carol@example.net' },
    ])
    expect(await (await h.client(bob)).contacts.suggest.query({ prefix: 'car' })).toEqual([])
    expect(await a.account.me.query()).toEqual({ email: alice, name: null, domain: 'example.com' })
  })
})

describe('plain routes', () => {
  it('serves /config.json and /healthz; a malformed tRPC body is a 4xx without internals', async () => {
    expect(await (await fetch(`${h.baseUrl}/config.json`)).json()).toEqual({
      issuer: h.config.gatewayUrl,
      clientId: h.config.webClientId,
      apiUrl: h.config.apiUrl,
      domain: 'example.com',
    })
    expect(await (await fetch(`${h.baseUrl}/healthz`)).json()).toEqual({
      status: 'ok',
      domain: h.config.domain,
    })
    const ready = await fetch(`${h.baseUrl}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', resources: 'ok' } })
    expect(ready.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    const traced = await fetch(`${h.baseUrl}/healthz`, { headers: { 'x-request-id': 'trace-42' } })
    expect(traced.headers.get('x-request-id')).toBe('trace-42')
    const t = await h.token(alice)
    const res = await fetch(`${h.baseUrl}/trpc/mailbox.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` },
      body: '{not json',
    })
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    const text = await res.text()
    expect(text).not.toMatch(/at .*\.ts:\d+/)
    expect(text).not.toContain('stack')
  })
})

describe('method override', () => {
  it('accepts queries sent as POST (big message.get batches do not fit a URL)', async () => {
    const { createTRPCClient, httpBatchLink } = await import('@trpc/client')
    const t = await h.token(alice)
    const c = createTRPCClient<import('../src/index.ts').AppRouter>({
      links: [
        httpBatchLink({
          url: `${h.baseUrl}/trpc`,
          methodOverride: 'POST',
          headers: { authorization: `Bearer ${t}` },
        }),
      ],
    })
    const ids = Array.from({ length: 500 }, (_, i) => `m_${'x'.repeat(40)}${i}`)
    const got = await c.message.get.query({ ids })
    expect(got.notFound).toHaveLength(500)
  })
})
