import { sendMail, testStoreIsPostgres } from '@federizer/devnet'
import { type Db, foldForIndex, parseSearchQuery, searchMessageIds } from '@federizer/store'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { db, messagesIn, openNetwork, PASSWORD, waitFor } from './federation-helpers.ts'

let net: Awaited<ReturnType<typeof openNetwork>>

beforeAll(async () => {
  net = await openNetwork({
    domains: [
      { domain: 'example.com', users: [{ email: 'alice@example.com', password: PASSWORD }] },
      { domain: 'example.net', users: [{ email: 'bob@example.net', password: PASSWORD }] },
    ],
  })
}, 60_000)
afterAll(async () => {
  await net?.close()
})

// The indexed text: FTS5's column as given, or on PostgreSQL (`npm run test:pg`) as search-postgres.ts
// folds it before storing.
const postgres = testStoreIsPostgres()
const indexText = async (database: Db, seq: number) =>
  (
    await sql<{
      body: string
    }>`SELECT body FROM message_fts WHERE ${sql.ref(postgres ? 'seq' : 'rowid')} = ${seq}`.execute(database)
  ).rows[0]?.body

describe('search text of an HTML-only message', () => {
  it('is the same in the sender’s Sent copy and the recipient’s inbox copy (one htmlToIndexText)', {
    timeout: 60_000,
  }, async () => {
    const network = net.network
    await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      subject: 'Entities',
      // `&amp;lt;` is the text "&lt;": decoding &amp; before &lt; would index "<" on one side only.
      html: '<p>Fish &amp;lt;chips&amp;gt; &amp; peas &lt;b&gt; &#233;t&#xE9; <script>x()</script></p>',
    })
    const [sent] = await waitFor(async () => {
      const rows = await messagesIn(db(network, 'example.com'), 'alice@example.com', 'sent')
      return rows.length === 1 ? rows : undefined
    }, "Alice's Sent copy")
    const [received] = await waitFor(async () => {
      const rows = await messagesIn(db(network, 'example.net'), 'bob@example.net', 'inbox')
      return rows.length === 1 && rows[0]?.content_state === 'complete' ? rows : undefined
    }, "Bob's copy with its HTML fetched")
    const senderText = await waitFor(() => indexText(db(network, 'example.com'), sent!.seq), 'sender index')
    const recipientText = await waitFor(
      () => indexText(db(network, 'example.net'), received!.seq),
      'recipient index',
    )
    const text = 'Fish &lt;chips&gt; & peas <b> été'
    expect(senderText).toBe(postgres ? foldForIndex(text) : text)
    expect(recipientText).toBe(senderText)
    expect(received!.preview).toBe(sent!.preview)
    // Both find it by the same literal words.
    const find = (domain: string, account: string) =>
      searchMessageIds(db(network, domain), { account, query: parseSearchQuery('peas chips'), limit: 10 })
    expect(await find('example.com', 'alice@example.com')).toEqual([sent!.id])
    expect(await find('example.net', 'bob@example.net')).toEqual([received!.id])
  })
})

describe('search text of a message with a pushed text part and a fetched HTML part', () => {
  it('stays the text part’s when the larger HTML part arrives by fetch', { timeout: 60_000 }, async () => {
    const network = net.network
    await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      subject: 'Two bodies',
      text: 'The plain words of this message.',
      // Over the 64 KiB push limit: fetched after the delivery.
      html: `<p>${'markup words '.repeat(6000)}</p>`,
    })
    const received = await waitFor(async () => {
      const rows = await messagesIn(db(network, 'example.net'), 'bob@example.net', 'inbox')
      const row = rows.find((r) => r.subject === 'Two bodies')
      return row?.content_state === 'complete' ? row : undefined
    }, "Bob's copy with its HTML fetched")
    const jobs = await db(network, 'example.net')
      .selectFrom('fetch_jobs')
      .select(['media_type', 'state'])
      .where('message_row_id', '=', received.id)
      .execute()
    // The text part came with the delivery (no job); only the HTML part was fetched.
    expect(jobs).toEqual([{ media_type: 'text/html; charset=UTF-8', state: 'done' }])
    expect(received.preview).toBe('The plain words of this message.')
    const text = await indexText(db(network, 'example.net'), received.seq)
    expect(text).toContain(postgres ? foldForIndex('plain words') : 'plain words')
    expect(text).not.toContain('markup')
  })
})
