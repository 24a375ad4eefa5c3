import { createHash } from 'node:crypto'
import { mailCaller, type Network, type NetworkNode, sendMail } from '@federizer/devnet'
import type { Part, PlaceholderMessage } from '@federizer/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  db,
  messagesIn,
  openNetwork,
  PASSWORD,
  testBytes,
  threeDomains,
  waitFor,
} from './federation-helpers.ts'
import { countsSql, installSqlCounter, takeSqlCount } from './sql-counter.ts'

// Issue 14, fan-out: a message to many recipients of one domain is fetched once per receiving domain,
// and the one verified fetch serves every copy of that delivery; a copy of another message naming the
// same Content-ID gets nothing from it (issue 12 item 1, docs/protocol.md §6 "Who may read a resource").
// Each fetch request the origin answers looks the message up once in its outbox: counted on its database.
installSqlCounter()
const MANY = Array.from({ length: 48 }, (_, i) => `r${String(i + 1).padStart(2, '0')}@example.net`)
let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network

beforeAll(async () => {
  net = await openNetwork({
    domains: threeDomains({
      'example.net': {
        users: [
          { email: 'bob@example.net', password: PASSWORD, name: 'Bob' },
          { email: 'dave@example.net', password: PASSWORD },
          ...MANY.map((email) => ({ email, password: PASSWORD })),
        ],
      },
    }),
    gatewayOptions: { pollIntervalMs: 50, pushMaxBytes: 0 },
  })
  network = net.network
}, 120_000)
afterAll(async () => {
  await net?.close()
})

const ORIGIN_LOOKUP = 'from "outbox" inner join "messages"'
const fetchRequests = (suffix: string) =>
  [...takeSqlCount(suffix).bySql].filter(([s]) => s.includes(ORIGIN_LOOKUP)).reduce((n, [, v]) => n + v, 0)
const contentIdOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64url')

async function download(node: NetworkNode, email: string, contentId: string) {
  const res = await fetch(`${node.apiUrl}/resources/${contentId}`, {
    headers: { authorization: `Bearer ${await node.accessToken(email)}` },
  })
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
}

describe('fan-out: one fetch per receiving domain', () => {
  it('50 recipients in example.net: one fetch per resource, every recipient downloads the right bytes', {
    timeout: 180_000,
  }, async () => {
    const recipients = ['bob@example.net', 'dave@example.net', ...MANY]
    const bytes = testBytes(300_000, 14)
    takeSqlCount('example.com/mail.sqlite')
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: recipients,
      subject: 'For all fifty',
      text: 'One fetch for all of you.',
      html: '<p>One fetch for <b>all</b> of you.</p>',
      attachments: [{ filename: 'all.bin', mediaType: 'application/octet-stream', bytes }],
    })
    const peerDb = db(network, 'example.net')
    const copies = await waitFor(
      async () => {
        const rows = await peerDb
          .selectFrom('messages')
          .select(['id', 'account', 'content_state', 'preview'])
          .where('message_id_header', '=', sent.messageIdHeader)
          .execute()
        return rows.length === 50 && rows.every((r) => r.content_state === 'complete') ? rows : undefined
      },
      'all 50 copies complete',
      120_000,
    )
    // Three resources (text, HTML, attachment): three fetch requests at the origin, not 150.
    if (countsSql) expect(fetchRequests('example.com/mail.sqlite')).toBe(3)
    const jobs = await peerDb
      .selectFrom('fetch_jobs')
      .select(['state', 'attempts'])
      .where('message_id_header', '=', sent.messageIdHeader)
      .execute()
    expect(jobs).toHaveLength(150)
    expect(jobs.every((j) => j.state === 'done')).toBe(true)
    expect(jobs.filter((j) => j.attempts > 0)).toHaveLength(3)
    for (const c of copies) expect(c.preview).toContain('One fetch for all of you')
    const peer = network.node('example.net')
    for (const who of recipients) {
      const got = await download(peer, who, contentIdOf(bytes))
      expect(got.status, who).toBe(200)
      expect(createHash('sha256').update(got.body).digest('base64url')).toBe(contentIdOf(bytes))
    }
  })

  it('a recipient of another message naming the same Content-ID still cannot read it', {
    timeout: 120_000,
  }, async () => {
    const home = network.node('example.com')
    const bytes = testBytes(40_000, 15)
    const evil = network.node('example.org')
    // The attacker (example.org: its api, AS and MTA) mails dave a message whose attachment leaf names
    // the Content-ID of what Alice is about to send Bob; then goes silent, so dave's own fetch stays open.
    const attacker = await mailCaller(evil, 'bobby@example.org')
    const draft = await attacker.draft.save({
      to: [{ address: 'dave@example.net' }],
      cc: [],
      bcc: [],
      subject: 'Same Content-ID, other message',
      text: 'decoy',
    })
    const evilDb = db(network, 'example.org')
    const row = await evilDb
      .selectFrom('messages')
      .select('placeholder')
      .where('id', '=', draft.id)
      .executeTakeFirstOrThrow()
    const placeholder = JSON.parse(row.placeholder) as PlaceholderMessage
    const renamed = JSON.stringify(placeholder.parts).replace(
      /"Content-ID","<[A-Za-z0-9_-]{43}>"/,
      `"Content-ID","<${contentIdOf(bytes)}>"`,
    )
    await evilDb
      .updateTable('messages')
      .set({ placeholder: JSON.stringify({ ...placeholder, parts: JSON.parse(renamed) as Part[] }) })
      .where('id', '=', draft.id)
      .execute()
    await attacker.send.submit({ draftId: draft.id })
    const peerDb = db(network, 'example.net')
    const daveCopy = await waitFor(async () => {
      const [r] = (await messagesIn(peerDb, 'dave@example.net', 'inbox')).filter(
        (m) => m.message_id_header === draft.messageIdHeader,
      )
      return r
    }, "dave's copy of the attacker's message")
    await evil.stop()
    try {
      const sent = await sendMail(home, {
        from: 'alice@example.com',
        to: ['bob@example.net'],
        subject: 'The real one',
        text: 'Attached.',
        attachments: [{ filename: 'real.bin', mediaType: 'application/octet-stream', bytes }],
      })
      await waitFor(async () => {
        const [r] = (await messagesIn(peerDb, 'bob@example.net', 'inbox')).filter(
          (m) => m.message_id_header === sent.messageIdHeader,
        )
        return r?.content_state === 'complete'
      }, "Bob's copy complete")
      const peer = network.node('example.net')
      expect((await download(peer, 'bob@example.net', contentIdOf(bytes))).status).toBe(200)
      // The bytes are in example.net's store and Bob's fetch verified them: dave still gets nothing.
      const got = await download(peer, 'dave@example.net', contentIdOf(bytes))
      expect(got.status).toBe(404)
      const refs = await peerDb
        .selectFrom('resource_refs')
        .select('readable')
        .where('owner_id', '=', daveCopy.id)
        .where('content_id', '=', contentIdOf(bytes))
        .execute()
      expect(refs.map((r) => r.readable)).toEqual([0])
      const job = await peerDb
        .selectFrom('fetch_jobs')
        .select('state')
        .where('message_row_id', '=', daveCopy.id)
        .where('content_id', '=', contentIdOf(bytes))
        .executeTakeFirstOrThrow()
      expect(job.state).not.toBe('done')
    } finally {
      await evil.start()
    }
  })
})
