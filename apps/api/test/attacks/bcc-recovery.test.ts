// Issue 12 item 8: the Bcc cannot be recovered — not by the AS (it is sent no recipient address) and not
// by a recipient testing candidates against the Recipients-Digest (keyed with a secret only the origin
// holds). A received copy never shows a Bcc the account did not write itself.
import { createHmac } from 'node:crypto'
import {
  canonicalRecipients,
  getStringHeader,
  matchesRecipientsDigest,
  originalHeaders,
  type PlaceholderMessage,
  pushReceipt,
  recipientsDigest,
} from '@federizer/protocol'
import { insertMessage } from '@federizer/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startApi } from '../harness.ts'

let h: Harness
const alice = 'alice@example.com'
const to = 'bob@example.net'
const cc = 'dave@example.org'
const bcc = 'carol@example.org'
/** Every request body the api sent to its AS, as it went on the wire. */
const toAs: string[] = []

beforeAll(async () => {
  const recording: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    if (url.endsWith('/token') && init?.body !== undefined) toAs.push(String(init.body))
    return fetch(input, init)
  }
  h = await startApi({ gateway: true, api: { fetch: recording } })
})
afterAll(async () => h?.close())

/** 20,000 plausible addresses, the real Bcc among them (as an attacker with a leaked address book would try). */
const candidates = (): string[] => {
  const out: string[] = []
  for (let i = 0; i < 19_999; i++) out.push(`user${i}@example.${['org', 'net', 'com'][i % 3]}`)
  out.splice(13_579, 0, bcc)
  return out
}

async function sendWithBcc() {
  const a = await h.client(alice)
  const draft = await a.draft.save.mutate({
    to: [{ name: 'Bob', address: to }],
    cc: [{ address: cc }],
    bcc: [{ name: 'Carol', address: bcc }],
    subject: 'Party',
    text: 'Saturday!',
  })
  toAs.length = 0
  await a.send.submit.mutate({ draftId: draft.id })
  const rows = await h.api.ctx.db
    .selectFrom('outbox')
    .selectAll()
    .where('message_row_id', '=', draft.id)
    .execute()
  const sent = await h.api.ctx.db
    .selectFrom('messages')
    .select('placeholder')
    .where('id', '=', draft.id)
    .executeTakeFirstOrThrow()
  return {
    delivered: rows.map((r) => JSON.parse(r.placeholder) as PlaceholderMessage),
    sent: JSON.parse(sent.placeholder) as PlaceholderMessage,
  }
}

describe('the Bcc of a sent message', () => {
  it('is in no request to the AS: To and Cc go blinded, no address at all', async () => {
    const { delivered } = await sendWithBcc()
    expect(delivered).toHaveLength(2) // example.net and example.org
    expect(toAs.length).toBe(2)
    for (const body of toAs) {
      const text = decodeURIComponent(body.replace(/\+/g, ' '))
      for (const address of [to, cc, bcc, 'Bob', 'Carol']) expect(text).not.toContain(address)
      const headers = JSON.parse(new URLSearchParams(body).get('headers') ?? '[]') as [string, string][]
      expect(headers.map(([n]) => n)).toEqual(expect.arrayContaining(['To', 'Cc', 'Recipients-Digest']))
      for (const [n, v] of headers) if (n === 'To' || n === 'Cc') expect(v).toMatch(/^<[A-Za-z0-9_-]{43}>$/)
      expect(headers.map(([n]) => n)).not.toContain('Bcc')
    }
  })

  it('cannot be found among 20,000 candidates from a delivered copy; only the origin key finds it', async () => {
    const { delivered, sent } = await sendWithBcc()
    const copy = delivered[0]!
    const h0 = originalHeaders(copy)
    expect(h0.map(([n]) => n)).not.toContain('Bcc')
    expect(h0.map(([n]) => n)).not.toContain('Recipients-Key')
    const target = getStringHeader(h0, 'Recipients-Digest')!.slice(1, -1)
    const salt = Buffer.from(getStringHeader(h0, 'Recipients-Salt')!.slice(1, -1), 'base64url')
    const known = [to, cc]
    const list = candidates()
    // What the attack of the issue did (plain SHA-256 over To+Cc+candidate), and the same keyed with the
    // only secret-looking value a recipient holds (the salt): neither finds it.
    const started = performance.now()
    const found = list.filter((c) => {
      const text = canonicalRecipients([...known, c]).join('\n')
      return (
        recipientsDigest([...known, c]) === target ||
        createHmac('sha256', salt).update(text).digest('base64url') === target
      )
    })
    const ms = performance.now() - started
    expect(found).toEqual([])
    // The origin, with the key of its own copy, re-checks the digest — and so would find the Bcc: the
    // search above could have succeeded had the digest not been keyed.
    const keyHeader = getStringHeader(originalHeaders(sent), 'Recipients-Key')!
    const key = Buffer.from(keyHeader.slice(1, -1), 'base64url')
    expect(list.filter((c) => recipientsDigest([...known, c], key) === target)).toEqual([bcc])
    expect(matchesRecipientsDigest(sent, `<${target}>`)).toBe(true)
    console.info(`bcc-recovery: 20,000 candidates tried in ${ms.toFixed(0)} ms without the key: none matched`)
  })

  it('is never shown in a received copy, and the Recipients-Key never leaves the server', async () => {
    const { delivered, sent } = await sendWithBcc()
    // A copy that arrived with a Bcc someone added on the way (a verifier refuses that; older rows or
    // bridged mail may still hold one).
    const copy = structuredClone(delivered[0]!)
    originalHeaders(copy).push(['Bcc', 'mallory@example.net'])
    const received = pushReceipt(copy, {
      fromDomain: 'example.com',
      byDomain: 'example.com',
      date: new Date(),
    })
    await h.user('erin@example.com')
    const { id } = await insertMessage(h.api.ctx.db, {
      account: 'erin@example.com',
      mailboxRole: 'inbox',
      placeholder: received,
      contentState: 'complete',
    })
    const erin = await h.client('erin@example.com')
    const [view] = (await erin.message.get.query({ ids: [id] })).messages
    expect(JSON.stringify(view?.placeholder)).not.toContain('Bcc')
    expect(JSON.stringify(view?.placeholder)).not.toContain('mallory@example.net')
    // Alice's own sent copy shows the Bcc she wrote, but not the key.
    const a = await h.client(alice)
    const sentRow = await h.api.ctx.db
      .selectFrom('messages')
      .select('id')
      .where('account', '=', alice)
      .where('sent_at', 'is not', null)
      .executeTakeFirstOrThrow()
    const [own] = (await a.message.get.query({ ids: [sentRow.id] })).messages
    expect(JSON.stringify(own?.placeholder)).toContain(bcc)
    expect(JSON.stringify(own?.placeholder)).not.toContain('Recipients-Key')
    expect(JSON.stringify(sent)).toContain('Recipients-Key')
  })
})
