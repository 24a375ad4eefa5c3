import {
  ehThumbprint,
  keyResolverFromJwks,
  lastAssertion,
  originalHeaders,
  verifyHopAssertion,
} from '@federizer/protocol'
import { createUser } from '@federizer/store'
import { TRPCClientError } from '@trpc/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errorCode, errorOf, type Harness, startApi, upload } from './harness.ts'

let h: Harness
const alice = 'alice@example.com'

beforeAll(async () => {
  h = await startApi({ gateway: true })
  await createUser(h.api.ctx.db, { email: alice, password: 'correct horse battery', name: 'Alice' })
})
afterAll(async () => h?.close())

async function outboxRows(messageRowId: string) {
  return h.api.ctx.db
    .selectFrom('outbox')
    .selectAll()
    .where('message_row_id', '=', messageRowId)
    .orderBy('recipient_domain')
    .execute()
}

describe('drafts', () => {
  it('autosave replaces the same draft and keeps its Message-ID; text is searchable', async () => {
    const a = await h.client(alice)
    const first = await a.draft.save.mutate({
      to: [{ address: 'bob@example.net' }],
      subject: 'Plans',
      text: 'first words',
    })
    const second = await a.draft.save.mutate({
      id: first.id,
      to: [{ address: 'bob@example.net' }],
      subject: 'Plans for Venice',
      text: 'gondola tickets',
    })
    expect(second).toEqual(first)
    const drafts = (await a.mailbox.list.query()).find((b) => b.role === 'drafts')!
    const list = await a.message.list.query({ mailboxId: drafts.id })
    expect(list.items.map((m) => [m.id, m.subject, m.preview])).toEqual([
      [first.id, 'Plans for Venice', 'gondola tickets'],
    ])
    const [view] = (await a.message.get.query({ ids: [first.id] })).messages
    expect(view?.text).toBe('gondola tickets')
    expect(view?.from).toEqual({ name: 'Alice', address: alice })
    expect((await a.message.search.query({ query: 'gondola' })).map((m) => m.id)).toEqual([first.id])
    await a.draft.delete.mutate({ id: first.id })
    expect((await a.message.list.query({ mailboxId: drafts.id })).items).toEqual([])
  })

  it('rejects bad input: addresses, foreign attachments, oversized bodies', async () => {
    const a = await h.client(alice)
    expect(await errorCode(a.draft.save.mutate({ to: [{ address: 'not an address' }] }))).toBe('BAD_REQUEST')
    const foreign = { contentId: 'A'.repeat(43), size: 3, mediaType: 'application/pdf', filename: 'x.pdf' }
    const e = await errorOf(a.draft.save.mutate({ attachments: [foreign] }))
    expect(e).toEqual({
      code: 'NOT_FOUND',
      message:
        'you may not attach x.pdf: it is not one of your uploads, drafts or messages whose content has arrived',
    })
    const huge = 'x'.repeat(h.config.limits.maxResourceBytes + 1)
    expect(await errorCode(a.draft.save.mutate({ text: huge }))).toBe('PAYLOAD_TOO_LARGE')
    expect(await errorCode(a.draft.save.mutate({ id: 'm_missing', subject: 'x' }))).toBe('NOT_FOUND')
  })
})

describe('send', () => {
  it('seals, obtains one assertion per recipient domain from the real AS, files in Sent, queues held rows', async () => {
    const a = await h.client(alice)
    const t = await h.token(alice)
    const att = (await (await upload(h, t, 'PDFDATA', { 'x-filename': 'plan.pdf' })).json()) as {
      contentId: string
      size: number
      mediaType: string
    }
    const draft = await a.draft.save.mutate({
      to: [{ name: 'Bob', address: 'bob@example.net' }],
      cc: [{ address: 'carol@example.org' }],
      bcc: [{ address: 'dave@example.net' }],
      subject: 'Vacation photo',
      text: 'see attached',
      attachments: [{ ...att, filename: 'plan.pdf' }],
    })
    const sent = await a.send.submit.mutate({ draftId: draft.id })
    expect(sent.messageId).toBe(draft.id)
    expect(sent.holdUntil).toBeGreaterThanOrEqual(
      Math.floor(Date.now() / 1000) + h.config.undoSendSeconds - 2,
    )

    const [view] = (await a.message.get.query({ ids: [draft.id] })).messages
    const sentBox = (await a.mailbox.list.query()).find((b) => b.role === 'sent')!
    expect(view?.mailboxId).toBe(sentBox.id)
    expect(view?.holdUntil).toBe(sent.holdUntil)
    expect(view?.recipients.map((r) => r.address)).toContain('dave@example.net') // Bcc kept in own copy
    expect(view?.deliveryStatus.map((s) => [s.recipient, s.state])).toEqual([
      ['bob@example.net', 'held'],
      ['carol@example.org', 'held'],
      ['dave@example.net', 'held'],
    ])

    const rows = await outboxRows(draft.id)
    expect(rows.map((r) => [r.recipient_domain, JSON.parse(r.recipients), r.state])).toEqual([
      ['example.net', ['bob@example.net', 'dave@example.net'], 'held'],
      ['example.org', ['carol@example.org'], 'held'],
    ])
    const jwks = h.api.ctx.keys.publicJwks()
    for (const row of rows) {
      const delivered = JSON.parse(row.placeholder)
      expect(JSON.stringify(delivered)).not.toContain('dave@example.net')
      expect(Number(row.next_attempt_at)).toBe(sent.holdUntil)
      const jws = lastAssertion(delivered)!
      const { claims } = await verifyHopAssertion(jws, {
        resolveKey: keyResolverFromJwks(jwks),
        now: Math.floor(Date.now() / 1000),
        issuer: h.config.gatewayUrl,
      })
      expect(claims.sub).toBe(alice)
      expect(claims.azp).toBe(h.config.mtaClientId)
      expect(claims.cnf.jkt).toBeTruthy()
      expect(claims.eh.eht).toBe(ehThumbprint(originalHeaders(delivered), claims.eh.ehl))
      const dpop = JSON.parse(row.dpop_key) as { publicJwk: object }
      expect(dpop.publicJwk).toBeTruthy()
    }
    // Each domain's assertion is bound to its own ephemeral DPoP key.
    expect(new Set(rows.map((r) => r.dpop_key)).size).toBe(2)
    // Resources stay referenced by the outbox rows for the queue lifetime + fetch window.
    const refs = await h.api.ctx.db
      .selectFrom('resource_refs')
      .select(['owner_kind', 'keep_until'])
      .where('content_id', '=', att.contentId)
      .where('owner_kind', '=', 'outbox')
      .execute()
    expect(refs).toHaveLength(2)

    expect(await errorCode(a.send.submit.mutate({ draftId: draft.id }))).toBe('CONFLICT')
  })

  it('an empty subject is legal mail (RFC 5322 §3.6.5): the AS signs it and the message is queued', async () => {
    const a = await h.client(alice)
    const draft = await a.draft.save.mutate({ to: [{ address: 'bob@example.net' }], subject: '', text: 'hi' })
    await a.send.submit.mutate({ draftId: draft.id })
    const rows = await outboxRows(draft.id)
    expect(rows).toHaveLength(1)
    const delivered = JSON.parse(rows[0]!.placeholder)
    const { claims } = await verifyHopAssertion(lastAssertion(delivered)!, {
      resolveKey: keyResolverFromJwks(h.api.ctx.keys.publicJwks()),
      now: Math.floor(Date.now() / 1000),
      issuer: h.config.gatewayUrl,
    })
    expect(claims.eh.ehl).toContain('Subject')
    expect(originalHeaders(delivered)).toContainEqual(['Subject', ''])
    expect(claims.eh.eht).toBe(ehThumbprint(originalHeaders(delivered), claims.eh.ehl))
  })

  it('saves and sends the compose form in one request; a saved draft is replaced in place', async () => {
    const a = await h.client(alice)
    const sent = await a.send.submit.mutate({
      draft: { to: [{ address: 'bob@example.net' }], subject: 'One request', text: 'saved and sent' },
    })
    const [view] = (await a.message.get.query({ ids: [sent.messageId] })).messages
    const sentBox = (await a.mailbox.list.query()).find((b) => b.role === 'sent')!
    expect(view).toMatchObject({ mailboxId: sentBox.id, subject: 'One request', text: 'saved and sent' })
    expect(sent.messageIdHeader).toMatch(/^<.+@example\.com>$/)
    expect((await outboxRows(sent.messageId)).map((r) => r.state)).toEqual(['held'])
    // An autosaved draft sent with its latest edits: the same row, the edits in what is sent.
    const draft = await a.draft.save.mutate({ to: [{ address: 'bob@example.net' }], subject: 'Draft 1' })
    const again = await a.send.submit.mutate({
      draft: { id: draft.id, to: [{ address: 'bob@example.net' }], subject: 'Draft 2', text: 'edited' },
    })
    expect(again.messageId).toBe(draft.id)
    expect(again.messageIdHeader).toBe(draft.messageIdHeader)
    const [edited] = (await a.message.get.query({ ids: [draft.id] })).messages
    expect(edited).toMatchObject({ mailboxId: sentBox.id, subject: 'Draft 2', text: 'edited' })
  })

  it('a form sent in one request is undone to the draft it was written as', async () => {
    const a = await h.client(alice)
    const sent = await a.send.submit.mutate({
      draft: { to: [{ address: 'bob@example.net' }], subject: 'Second thoughts', text: 'on reflection' },
    })
    expect(await a.send.undo.mutate({ messageId: sent.messageId })).toEqual({ draftId: sent.messageId })
    const drafts = (await a.mailbox.list.query()).find((b) => b.role === 'drafts')!
    const [back] = (await a.message.get.query({ ids: [sent.messageId] })).messages
    expect(back).toMatchObject({
      mailboxId: drafts.id,
      subject: 'Second thoughts',
      text: 'on reflection',
      sentAt: null,
    })
    expect((await outboxRows(sent.messageId)).map((r) => r.state)).toEqual(['cancelled'])
  })

  it('a form naming a message already sent is refused whole: the sent copy is unchanged, nothing queued', async () => {
    const a = await h.client(alice)
    const sent = await a.send.submit.mutate({
      draft: { to: [{ address: 'bob@example.net' }], subject: 'Gone out', text: 'first' },
    })
    const outboxBefore = (await h.api.ctx.db.selectFrom('outbox').select('id').execute()).length
    const e = await errorOf(
      a.send.submit.mutate({
        draft: { id: sent.messageId, to: [{ address: 'bob@example.net' }], subject: 'Again', text: 'second' },
      }),
    )
    expect(e.code).toBe('CONFLICT')
    expect(e.message).toMatch(/no longer a draft/)
    const [view] = (await a.message.get.query({ ids: [sent.messageId] })).messages
    expect(view).toMatchObject({ subject: 'Gone out', text: 'first' })
    expect((await h.api.ctx.db.selectFrom('outbox').select('id').execute()).length).toBe(outboxBefore)
  })

  it('a form whose exchange the AS refuses is saved once as a draft and named in the error', async () => {
    const a = await h.client(alice)
    const drafts = (await a.mailbox.list.query()).find((b) => b.role === 'drafts')!
    const before = (await a.message.list.query({ mailboxId: drafts.id })).items.length
    const references = Array.from({ length: 6 }, (_, i) => `<${'q'.repeat(900)}${i}@example.org>`)
    const e = await a.send.submit
      .mutate({ draft: { to: [{ address: 'bob@example.net' }], subject: 'Refused form', references } })
      .catch((x: unknown) => x)
    const data = (e as TRPCClientError<never>).data as unknown as { code: string; draftId?: string }
    expect(data.code).toBe('FORBIDDEN')
    const list = (await a.message.list.query({ mailboxId: drafts.id })).items
    expect(list.length).toBe(before + 1)
    expect(list.find((m) => m.id === data.draftId)?.subject).toBe('Refused form')
    expect(await outboxRows(data.draftId as string)).toEqual([])
  })

  it('removes a delivered outbox row after its fetch window; the sent copy keeps its delivery states', async () => {
    const { runMaintenance } = await import('../src/maintenance.ts')
    const a = await h.client(alice)
    const sent = await a.send.submit.mutate({
      draft: { to: [{ address: 'bob@example.net' }], subject: 'Long ago', text: 'delivered' },
    })
    const db = h.api.ctx.db
    await db
      .updateTable('outbox')
      .set({ state: 'delivered' })
      .where('message_row_id', '=', sent.messageId)
      .execute()
    await db
      .updateTable('delivery_status')
      .set({ state: 'delivered' })
      .where('message_row_id', '=', sent.messageId)
      .execute()
    const realNow = h.api.ctx.now
    const rows = () =>
      db.selectFrom('outbox').select('id').where('message_row_id', '=', sent.messageId).execute()
    // Inside the queue lifetime and the fetch window the row stays (the origin's fetch ACL reads it).
    h.api.ctx.now = () => realNow() + 24 * 3600
    try {
      await runMaintenance(h.api.ctx)
      expect(await rows()).toHaveLength(1)
      h.api.ctx.now = () => realNow() + 30 * 24 * 3600
      await runMaintenance(h.api.ctx)
    } finally {
      h.api.ctx.now = realNow
    }
    expect(await rows()).toEqual([])
    const [view] = (await a.message.get.query({ ids: [sent.messageId] })).messages
    expect(view?.subject).toBe('Long ago')
    expect(view?.deliveryStatus.map((s) => s.state)).toEqual(['delivered'])
  })

  it('refuses a form that is not a draft, or both a draft id and a form; nothing is saved or queued', async () => {
    const a = await h.client(alice)
    const drafts = (await a.mailbox.list.query()).find((b) => b.role === 'drafts')!
    const before = (await a.message.list.query({ mailboxId: drafts.id })).items.length
    const outboxBefore = (await h.api.ctx.db.selectFrom('outbox').select('id').execute()).length
    expect(await errorCode(a.send.submit.mutate({ draft: { to: [{ address: 'not an address' }] } }))).toBe(
      'BAD_REQUEST',
    )
    const saved = await a.draft.save.mutate({ to: [{ address: 'bob@example.net' }], subject: 'x' })
    expect(
      await errorCode(
        a.send.submit.mutate({ draftId: saved.id, draft: { subject: 'y' } } as unknown as {
          draftId: string
        }),
      ),
    ).toBe('BAD_REQUEST')
    // No recipient: the form is saved (the draft is kept and named in the error), nothing is queued.
    const e = await a.send.submit.mutate({ draft: { subject: 'nobody yet' } }).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(TRPCClientError)
    const data = (e as TRPCClientError<never>).data as unknown as { code: string; draftId?: string }
    expect(data.code).toBe('BAD_REQUEST')
    const list = (await a.message.list.query({ mailboxId: drafts.id })).items
    expect(list.length).toBe(before + 2)
    expect(list.find((m) => m.id === data.draftId)?.subject).toBe('nobody yet')
    expect((await h.api.ctx.db.selectFrom('outbox').select('id').execute()).length).toBe(outboxBefore)
  })

  it('undo while held cancels every row and restores the draft; after release it is too late', async () => {
    const a = await h.client(alice)
    const draft = await a.draft.save.mutate({
      to: [{ address: 'bob@example.net' }],
      subject: 'Oops',
      text: 'not yet',
    })
    await a.send.submit.mutate({ draftId: draft.id })
    expect(await a.send.undo.mutate({ messageId: draft.id })).toEqual({ draftId: draft.id })
    expect((await outboxRows(draft.id)).map((r) => r.state)).toEqual(['cancelled'])
    const [back] = (await a.message.get.query({ ids: [draft.id] })).messages
    const drafts = (await a.mailbox.list.query()).find((b) => b.role === 'drafts')!
    expect(back).toMatchObject({ mailboxId: drafts.id, subject: 'Oops', text: 'not yet', deliveryStatus: [] })
    expect(JSON.stringify(back?.placeholder)).not.toContain('Body-Digest')
    expect(await errorCode(a.send.undo.mutate({ messageId: draft.id }))).toBe('CONFLICT')

    // Send again; the MTA claims the row (lease) → undo is refused and nothing changes.
    await a.send.submit.mutate({ draftId: draft.id })
    await h.api.ctx.db
      .updateTable('outbox')
      .set({ lease_until: Math.floor(Date.now() / 1000) + 60 })
      .where('message_row_id', '=', draft.id)
      .where('state', '=', 'held')
      .execute()
    const late = await errorOf(a.send.undo.mutate({ messageId: draft.id }))
    expect(late.code).toBe('CONFLICT')
    expect(late.message).toMatch(/too late to undo/)
    expect((await outboxRows(draft.id)).map((r) => r.state).sort()).toEqual(['cancelled', 'held'])
  })

  it('a refused token exchange leaves the draft intact and queues nothing', async () => {
    // The AS signs header values of at most 4096 characters (docs/protocol.md §4) while a message may
    // carry 8 KiB ones: a long References list is refused by the AS (invalid_request), not by the api.
    const a = await h.client(alice)
    const references = Array.from({ length: 6 }, (_, i) => `<${'r'.repeat(900)}${i}@example.org>`)
    const draft = await a.draft.save.mutate({
      to: [{ address: 'bob@example.net' }],
      subject: 'Blocked',
      references,
    })
    const e = await errorOf(a.send.submit.mutate({ draftId: draft.id }))
    expect(e.code).toBe('FORBIDDEN')
    expect(e.message).toMatch(/refused to sign this message: header "References" must be/)
    expect(await outboxRows(draft.id)).toEqual([])
    const [still] = (await a.message.get.query({ ids: [draft.id] })).messages
    const drafts = (await a.mailbox.list.query()).find((b) => b.role === 'drafts')!
    expect(still).toMatchObject({ mailboxId: drafts.id, subject: 'Blocked', sentAt: null })
  })

  it('an unreachable AS maps to BAD_GATEWAY and queues nothing; a draft without recipients is BAD_REQUEST', async () => {
    const down = await startApi({ configure: (c) => ({ ...c, gatewayUrl: 'http://127.0.0.1:9' }) })
    try {
      const a = await down.client(alice)
      const draft = await a.draft.save.mutate({ to: [{ address: 'bob@example.net' }], subject: 'x' })
      expect(await errorCode(a.send.submit.mutate({ draftId: draft.id }))).toBe('BAD_GATEWAY')
      expect(await down.api.ctx.db.selectFrom('outbox').selectAll().execute()).toEqual([])
      const empty = await a.draft.save.mutate({ subject: 'nobody' })
      expect(await errorCode(a.send.submit.mutate({ draftId: empty.id }))).toBe('BAD_REQUEST')
    } finally {
      await down.close()
    }
  })
})

describe('forward by reference', () => {
  it("reuses a received message's resource without uploading; refuses one not arrived or mis-sized", async () => {
    const { createHash } = await import('node:crypto')
    const { grantFetchedResource, insertMessage } = await import('@federizer/store')
    const cidOf = (s: string) => createHash('sha256').update(s).digest('base64url')
    const here = 'the contract, fetched'
    const missing = 'still on the way'
    const leaf = (bytes: string, name: string) => ({
      headers: [
        ['Content-Disposition', `attachment; filename="${name}"`],
        ['Content-ID', `<${cidOf(bytes)}>`],
        [
          'Content-Type',
          [
            `message/external-body; access-type=x-content-addressed-uri; hash-algorithm=sha256; size=${bytes.length}`,
            'application/pdf',
          ],
        ],
      ] as [string, string | [string, string]][],
    })
    const received = await insertMessage(h.api.ctx.db, {
      account: alice,
      mailboxRole: 'inbox',
      contentState: 'arriving',
      placeholder: {
        envelope: [
          {
            headers: [
              ['From', 'carol@example.net'],
              ['To', alice],
              ['Subject', 'Contract'],
              ['Message-ID', '<fw1@example.net>'],
            ],
          },
        ],
        parts: [leaf(here, 'contract.pdf'), leaf(missing, 'annex.pdf')],
      },
    })
    async function* once() {
      yield Buffer.from(here)
    }
    await h.api.ctx.resources.write(once(), { maxBytes: 1000 })
    // This copy's own fetch of the contract completed (what the MTA records); the annex's has not.
    await grantFetchedResource(h.api.ctx.db, { messageRowId: received.id, contentId: cidOf(here) })
    const a = await h.client(alice)
    const ok = await a.draft.save.mutate({
      to: [{ address: 'dave@example.org' }],
      subject: 'Fwd: Contract',
      attachments: [
        { contentId: cidOf(here), size: here.length, mediaType: 'application/pdf', filename: 'contract.pdf' },
      ],
    })
    const [view] = (await a.message.get.query({ ids: [ok.id] })).messages
    expect(view?.resources).toMatchObject([
      { contentId: cidOf(here), filename: 'contract.pdf', available: true },
    ])
    const notYet = await errorOf(
      a.draft.save.mutate({
        attachments: [
          {
            contentId: cidOf(missing),
            size: missing.length,
            mediaType: 'application/pdf',
            filename: 'annex.pdf',
          },
        ],
      }),
    )
    expect(notYet).toEqual({
      code: 'CONFLICT',
      message: 'attachment annex.pdf has not arrived yet; try again later',
    })
    // Bytes that are in the store for someone else do not count: this copy has not fetched them.
    await h.api.ctx.resources.write(
      (async function* () {
        yield Buffer.from(missing)
      })(),
      { maxBytes: 1000 },
    )
    const stillNot = await errorOf(
      a.draft.save.mutate({
        attachments: [
          {
            contentId: cidOf(missing),
            size: missing.length,
            mediaType: 'application/pdf',
            filename: 'annex.pdf',
          },
        ],
      }),
    )
    expect(stillNot).toEqual(notYet)
    const wrongSize = await errorOf(
      a.draft.save.mutate({
        attachments: [{ contentId: cidOf(here), size: 1, mediaType: 'application/pdf' }],
      }),
    )
    expect(wrongSize.code).toBe('CONFLICT')
  })
})
