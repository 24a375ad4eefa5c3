import { insertMessage } from '@federizer/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errorCode, errorOf, type Harness, now, startApi, upload } from './harness.ts'

let h: Harness
const alice = 'alice@example.com'
const bob = 'bob@example.com'

beforeAll(async () => {
  h = await startApi()
})
afterAll(async () => h?.close())

const incoming = (n: number, to = alice) => ({
  envelope: [
    {
      headers: [
        ['From', 'Carol <carol@example.net>'],
        ['To', to],
        ['Subject', `Hello ${n}`],
        ['Message-ID', `<in${n}@example.net>`],
        ['Date', 'Sun, 22 Dec 2024 20:49:35 +0000'],
        ['Content-Type', 'multipart/mixed'],
      ] as [string, string][],
    },
  ],
  parts: [],
})

describe('authentication', () => {
  it('health needs no token; everything else answers UNAUTHORIZED without a valid one', async () => {
    expect(await h.clientWithToken(undefined).health.query()).toEqual({ ok: true })
    expect(await errorCode(h.clientWithToken(undefined).mailbox.list.query())).toBe('UNAUTHORIZED')
    expect(await errorCode(h.clientWithToken('garbage').mailbox.list.query())).toBe('UNAUTHORIZED')
    const expired = await h.token(alice, { iat: 1000, exp: 2000 })
    const e = await errorOf(h.clientWithToken(expired).mailbox.list.query())
    expect(e).toEqual({ code: 'UNAUTHORIZED', message: 'the access token has expired: refresh it' })
    const wrongAud = await h.token(alice, { aud: 'https://elsewhere.example' })
    expect(await errorCode(h.clientWithToken(wrongAud).mailbox.list.query())).toBe('UNAUTHORIZED')
    const noScope = await h.token(alice, { scope: 'openid' })
    expect(await errorOf(h.clientWithToken(noScope).mailbox.list.query())).toEqual({
      code: 'FORBIDDEN',
      message: 'the access token lacks the "mail" scope',
    })
    expect((await upload(h, noScope, 'x')).status).toBe(403)
    const wrongIss = await h.token(alice, { iss: 'https://evil.example' })
    expect(await errorCode(h.clientWithToken(wrongIss).mailbox.list.query())).toBe('UNAUTHORIZED')
  })

  it('refuses a revoked token and a disabled account at once', async () => {
    const { createUser, revokeJwt, setUserDisabled } = await import('@federizer/store')
    const revoked = await h.token(alice, { jti: 'revoked-jti' })
    expect(await h.clientWithToken(revoked).mailbox.list.query()).toHaveLength(6)
    await revokeJwt(h.api.ctx.db, 'revoked-jti', now() + 600)
    expect(await errorOf(h.clientWithToken(revoked).mailbox.list.query())).toEqual({
      code: 'UNAUTHORIZED',
      message: 'the access token was revoked: sign in again',
    })
    const carol = `carol@${h.config.domain}`
    await createUser(h.api.ctx.db, {
      email: carol,
      password: 'carol-password',
      scrypt: { N: 1024, r: 8, p: 1 },
    })
    const token = await h.token(carol)
    expect(await h.clientWithToken(token).mailbox.list.query()).toHaveLength(6)
    await setUserDisabled(h.api.ctx.db, carol, true)
    expect(await errorOf(h.clientWithToken(token).mailbox.list.query())).toEqual({
      code: 'UNAUTHORIZED',
      message: 'this account is disabled',
    })
    expect((await upload(h, token, 'x')).status).toBe(401)
  })

  it('rejects a token signed by a key the AS never published', async () => {
    const { generateSigningKey, signAccessToken } = await import('@federizer/protocol')
    const rogue = await generateSigningKey()
    const t = await signAccessToken(
      {
        iss: h.config.gatewayUrl,
        sub: alice,
        email: alice,
        aud: h.config.apiUrl,
        client_id: 'x',
        scope: 'mail',
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 60,
        jti: 'j1',
      },
      rogue,
    )
    expect(await errorCode(h.clientWithToken(t).mailbox.list.query())).toBe('UNAUTHORIZED')
  })
})

describe('mailboxes and messages', () => {
  it('lists role mailboxes; creates, renames, removes folders; maps errors', async () => {
    const a = await h.client(alice)
    const boxes = await a.mailbox.list.query()
    expect(boxes.map((b) => b.role)).toEqual(['inbox', 'drafts', 'sent', 'trash', 'archive', 'junk'])
    const { id } = await a.mailbox.create.mutate({ name: 'Travel' })
    expect(await errorCode(a.mailbox.create.mutate({ name: 'Travel' }))).toBe('CONFLICT')
    expect(await errorCode(a.mailbox.create.mutate({ name: '' }))).toBe('BAD_REQUEST')
    await a.mailbox.rename.mutate({ id, name: 'Trips' })
    const inbox = boxes[0]!
    expect(await errorCode(a.mailbox.remove.mutate({ id: inbox.id }))).toBe('CONFLICT')
    expect(await errorCode(a.mailbox.rename.mutate({ id: 'mb_nope', name: 'x' }))).toBe('NOT_FOUND')
    await a.mailbox.remove.mutate({ id })
  })

  it('list, get, keywords, move, delete and restore through tRPC', async () => {
    const a = await h.client(alice)
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      ids.push(
        (
          await insertMessage(h.api.ctx.db, {
            account: alice,
            mailboxRole: 'inbox',
            placeholder: incoming(i),
            receivedAt: 10 + i,
          })
        ).id,
      )
    }
    const inbox = (await a.mailbox.list.query()).find((b) => b.role === 'inbox')!
    const page = await a.message.list.query({ mailboxId: inbox.id, limit: 2 })
    expect(page.items.map((m) => m.subject)).toEqual(['Hello 2', 'Hello 1'])
    const rest = await a.message.list.query({ mailboxId: inbox.id, limit: 2, cursor: page.nextCursor! })
    expect(rest.items.map((m) => m.subject)).toEqual(['Hello 0'])

    const got = await a.message.get.query({ ids: [ids[0]!, 'm_unknown'] })
    expect(got.messages[0]).toMatchObject({
      id: ids[0],
      subject: 'Hello 0',
      from: { name: 'Carol', address: 'carol@example.net' },
    })
    expect(got.notFound).toEqual(['m_unknown'])

    await a.message.setKeywords.mutate({ ids: [ids[0]!], add: ['$seen', '$flagged'] })
    expect((await a.message.get.query({ ids: [ids[0]!] })).messages[0]?.keywords).toEqual([
      '$flagged',
      '$seen',
    ])
    expect(await errorCode(a.message.setKeywords.mutate({ ids: [ids[0]!], add: ['bad keyword'] }))).toBe(
      'BAD_REQUEST',
    )
    expect(await errorCode(a.message.setKeywords.mutate({ ids: [ids[0]!] }))).toBe('BAD_REQUEST')

    const archive = (await a.mailbox.list.query()).find((b) => b.role === 'archive')!
    await a.message.move.mutate({ ids: [ids[1]!], mailboxId: archive.id })
    expect((await a.message.list.query({ mailboxId: archive.id })).items.map((m) => m.id)).toEqual([ids[1]])
    expect(await a.message.destroy.mutate({ ids: [ids[2]!] })).toEqual({ trashed: [ids[2]], destroyed: [] })
    await a.message.restore.mutate({ ids: [ids[2]!] })
    expect((await a.message.get.query({ ids: [ids[2]!] })).messages[0]?.mailboxId).toBe(inbox.id)
    await a.message.destroy.mutate({ ids: [ids[2]!] })
    expect(await a.message.destroy.mutate({ ids: [ids[2]!] })).toEqual({ trashed: [], destroyed: [ids[2]] })
    expect(await errorCode(a.message.move.mutate({ ids: [ids[2]!], mailboxId: archive.id }))).toBe(
      'NOT_FOUND',
    )
  })
})

describe('isolation', () => {
  it("Bob's token cannot read, list, change or search Alice's anything", async () => {
    const a = await h.client(alice)
    const b = await h.client(bob)
    const { id } = await insertMessage(h.api.ctx.db, {
      account: alice,
      mailboxRole: 'inbox',
      placeholder: incoming(99),
    })
    const aliceInbox = (await a.mailbox.list.query()).find((x) => x.role === 'inbox')!
    const bobInbox = (await b.mailbox.list.query()).find((x) => x.role === 'inbox')!
    expect(bobInbox.id).not.toBe(aliceInbox.id)
    expect(await errorCode(b.message.list.query({ mailboxId: aliceInbox.id }))).toBe('NOT_FOUND')
    expect(await b.message.get.query({ ids: [id] })).toEqual({ messages: [], notFound: [id] })
    expect(await errorCode(b.message.setKeywords.mutate({ ids: [id], add: ['$seen'] }))).toBe('NOT_FOUND')
    expect(await errorCode(b.message.move.mutate({ ids: [id], mailboxId: bobInbox.id }))).toBe('NOT_FOUND')
    expect(await errorCode(b.message.move.mutate({ ids: [id], mailboxId: aliceInbox.id }))).toBe('NOT_FOUND')
    expect(await errorCode(b.message.destroy.mutate({ ids: [id] }))).toBe('NOT_FOUND')
    expect(await errorCode(b.mailbox.rename.mutate({ id: aliceInbox.id, name: 'Mine' }))).toBe('NOT_FOUND')
    expect(await b.message.search.query({ query: 'Hello' })).toEqual([])
    expect(await b.message.thread.query({ threadId: '<in99@example.net>' })).toEqual([])
    expect(await errorCode(b.draft.save.mutate({ id, subject: 'hijack' }))).toBe('NOT_FOUND')
    expect(await errorCode(b.send.submit.mutate({ draftId: id }))).toBe('NOT_FOUND')
    expect(await errorCode(b.send.undo.mutate({ messageId: id }))).toBe('NOT_FOUND')
    // Alice's message is untouched.
    expect((await a.message.get.query({ ids: [id] })).messages[0]).toMatchObject({
      keywords: [],
      mailboxId: aliceInbox.id,
    })
  })
})

describe('internal errors', () => {
  it('answer INTERNAL_SERVER_ERROR with a bare message: no stack, no SQL, no path', async () => {
    const broken = await startApi()
    try {
      const a = await broken.client(alice)
      await a.mailbox.list.query()
      // Break the store under the running server: the next query fails inside SQLite.
      await broken.api.ctx.db.schema.dropTable('contacts').execute()
      const res = await fetch(
        `${broken.baseUrl}/trpc/contacts.suggest?input=${encodeURIComponent(JSON.stringify({ prefix: 'a' }))}`,
        {
          headers: { authorization: `Bearer ${await broken.token(alice)}` },
        },
      )
      expect(res.status).toBe(500)
      const body = await res.text()
      expect(JSON.parse(body).error.message).toBe('internal error')
      expect(body).not.toMatch(/no such table|sqlite|stack|\.ts:\d/i)
    } finally {
      await broken.close()
    }
  })
})

describe('key rotation', () => {
  it('accepts tokens signed by a key the AS rotated in after the api started (re-reads the key file)', async () => {
    const { rotateSigningKey, readSigningKeys } = await import('@federizer/store')
    const { signAccessToken } = await import('@federizer/protocol')
    const { importJWK } = await import('jose')
    const fresh = await startApi()
    try {
      expect((await (await fresh.client(alice)).account.me.query()).email).toBe(alice)
      const rotated = await rotateSigningKey(fresh.config, 'ES256', { publishAheadSeconds: 0 })
      // The key file is re-read at most once a second: step past the second of the last check.
      await new Promise((r) => setTimeout(r, 1100))
      const now = Math.floor(Date.now() / 1000)
      const token = await signAccessToken(
        {
          iss: fresh.config.gatewayUrl,
          sub: alice,
          email: alice,
          aud: fresh.config.apiUrl,
          client_id: fresh.config.webClientId,
          scope: 'mail',
          iat: now,
          exp: now + 60,
          jti: 'rot-1',
        },
        {
          kid: rotated.kid,
          alg: rotated.alg,
          privateKey: await importJWK(rotated.privateJwk, rotated.alg),
        } as Parameters<typeof signAccessToken>[1],
      )
      expect((await readSigningKeys(fresh.config)).map((k) => k.kid)).toContain(rotated.kid)
      expect((await fresh.clientWithToken(token).account.me.query()).email).toBe(alice)
    } finally {
      await fresh.close()
    }
  })
})
