import { readFile } from 'node:fs/promises'
import { type Network, sendMail } from '@federizer/devnet'
import { digest, readMessage } from '@federizer/protocol'
import { setAutoForward, setForwardPolicy } from '@federizer/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  db,
  deliveryStatus,
  messagesIn,
  openNetwork,
  testBytes,
  threeDomains,
  waitFor,
} from './federation-helpers.ts'

let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network

beforeAll(async () => {
  net = await openNetwork({ domains: threeDomains() })
  network = net.network
}, 60_000)
afterAll(async () => {
  await net?.close()
})

describe('Alice → Bob across domains (the seed scenario)', () => {
  it('delivers text, HTML and a 3.5 MB image; Bob fetches every byte from example.com', {
    timeout: 60_000,
  }, async () => {
    const image = testBytes(3_520_247, 7)
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      subject: 'Vacation photo',
      text: 'Hi Bob, a photo from Venice.',
      html: '<p>Hi Bob, a photo from <b>Venice</b>.</p>',
      attachments: [{ filename: 'Venice.png', mediaType: 'image/png', bytes: image }],
    })
    const bobDb = db(network, 'example.net')
    const [received] = await waitFor(async () => {
      const rows = await messagesIn(bobDb, 'bob@example.net', 'inbox')
      return rows.length === 1 && rows[0]?.content_state === 'complete' ? rows : undefined
    }, "Bob's copy with every resource fetched")
    const m = readMessage(JSON.parse(received!.placeholder))
    expect(m.subject).toBe('Vacation photo')
    expect(m.messageId).toBe(sent.messageIdHeader)
    // The receipt block names both domains, and the chain verification was recorded.
    const envelope = JSON.parse(received!.placeholder).envelope
    expect(JSON.stringify(envelope[0])).toContain('from example.com by example.net')
    expect(JSON.parse(received!.chain_verification ?? '{}').ok).toBe(true)
    // The fetched text is indexed: it gives the message its preview.
    expect(received!.preview).toBe('Hi Bob, a photo from Venice.')

    const resources = network.node('example.net').gateway!.ctx.federation.resources
    const attachment = m.attachments[0]!
    expect(attachment.contentId).toBe(digest(image))
    const bytes = await readFile(resources.path(attachment.contentId))
    expect(bytes.equals(image)).toBe(true)
    // The bodies came pushed with the delivery: kept in example.net's database, not as files.
    expect((await resources.readSmall(m.text!.contentId, 1024))?.toString()).toBe(
      'Hi Bob, a photo from Venice.',
    )
    expect((await resources.readSmall(m.html!.contentId, 1024))?.toString()).toContain('<b>Venice</b>')
    await expect(readFile(resources.path(m.text!.contentId))).rejects.toMatchObject({ code: 'ENOENT' })

    // The sender sees it delivered.
    const status = await waitFor(async () => {
      const s = await deliveryStatus(db(network, 'example.com'), sent.rowId)
      return s[0]?.state === 'delivered' ? s : undefined
    }, 'delivery status delivered')
    expect(status).toMatchObject([{ recipient: 'bob@example.net', state: 'delivered' }])
  })
})

describe('Bcc', () => {
  it('is never visible to the other recipients, yet the Bcc recipient receives and fetches', {
    timeout: 60_000,
  }, async () => {
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      cc: ['carol@example.com'],
      bcc: ['bobby@example.org'],
      subject: 'Party planning',
      text: 'Surprise party for Bob!',
    })
    const copies = await Promise.all(
      [
        ['example.net', 'bob@example.net'],
        ['example.com', 'carol@example.com'],
        ['example.org', 'bobby@example.org'],
      ].map(([domain, account]) =>
        waitFor(async () => {
          const rows = await messagesIn(db(network, domain!), account!, 'inbox')
          const row = rows.find((r) => r.message_id_header === sent.messageIdHeader)
          return row?.content_state === 'complete' ? row : undefined
        }, `${account}'s complete copy`),
      ),
    )
    for (const copy of copies) {
      expect(copy.placeholder).not.toMatch(/"Bcc"/i)
      expect(copy.placeholder).not.toContain('bobby@example.org')
      expect(readMessage(JSON.parse(copy.placeholder)).bcc).toEqual([])
    }
    // Only the sender's own copy keeps the Bcc list.
    const [own] = (await messagesIn(db(network, 'example.com'), 'alice@example.com', 'sent')).filter(
      (r) => r.message_id_header === sent.messageIdHeader,
    )
    expect(readMessage(JSON.parse(own!.placeholder)).bcc.map((a) => a.address)).toEqual(['bobby@example.org'])
  })
})

describe('auto-forward', () => {
  it('Bob forwards to bobby@example.org, who fetches from example.com through two verified hops', {
    timeout: 60_000,
  }, async () => {
    const netDb = db(network, 'example.net')
    await setAutoForward(netDb, 'bob@example.net', ['bobby@example.org'])
    try {
      const image = testBytes(200_000, 11)
      const sent = await sendMail(network.node('example.com'), {
        from: 'alice@example.com',
        to: ['bob@example.net'],
        subject: 'Forward me',
        text: 'For Bob, and whoever Bob trusts.',
        attachments: [{ filename: 'map.png', mediaType: 'image/png', bytes: image }],
      })
      const bobby = await waitFor(async () => {
        const rows = await messagesIn(db(network, 'example.org'), 'bobby@example.org', 'inbox')
        const row = rows.find((r) => r.message_id_header === sent.messageIdHeader)
        return row?.content_state === 'complete' ? row : undefined
      }, "bobby's complete copy")
      const verification = JSON.parse(bobby.chain_verification ?? '{}')
      expect(verification.ok).toBe(true)
      expect(
        verification.hops.map((h: { kind: string; senderDomain: string; status: string }) => [
          h.kind,
          h.senderDomain,
          h.status,
        ]),
      ).toEqual([
        ['origin', 'example.com', 'pass'],
        ['forward', 'example.net', 'pass'],
      ])
      const envelope = JSON.stringify(JSON.parse(bobby.placeholder).envelope)
      expect(envelope).toContain('Forwarded-From')
      expect(envelope).toContain('from example.net by example.org')
      const orgResources = network.node('example.org').gateway!.ctx.federation.resources
      expect((await readFile(orgResources.path(digest(image)))).equals(image)).toBe(true)

      // The forwarder never fetched; its copy says where the message went; its delivery status shows bobby.
      expect(await network.node('example.net').gateway!.ctx.federation.resources.has(digest(image))).toBe(
        false,
      )
      const [bobCopy] = (await messagesIn(netDb, 'bob@example.net', 'inbox')).filter(
        (r) => r.message_id_header === sent.messageIdHeader,
      )
      expect(bobCopy?.content_state).toBe('unavailable')
      expect(bobCopy?.content_reason).toContain('bobby@example.org')
      await waitFor(async () => {
        const s = await deliveryStatus(netDb, bobCopy!.id)
        return s[0]?.state === 'delivered'
      }, "the forward's delivery status")
    } finally {
      await setAutoForward(netDb, 'bob@example.net', null)
    }
  })
})

describe('auto-forward keeping a copy', () => {
  it('Bob keeps a copy: his mailbox fetches as a recipient, bobby fetches through the forward', {
    timeout: 60_000,
  }, async () => {
    const netDb = db(network, 'example.net')
    await setAutoForward(netDb, 'bob@example.net', ['bobby@example.org'], { keepCopy: true })
    try {
      const image = testBytes(150_000, 12)
      const sent = await sendMail(network.node('example.com'), {
        from: 'alice@example.com',
        to: ['bob@example.net'],
        subject: 'Keep and forward',
        text: 'Both of you.',
        attachments: [{ filename: 'photo.png', mediaType: 'image/png', bytes: image }],
      })
      const complete = (domain: string, account: string) =>
        waitFor(async () => {
          const rows = await messagesIn(db(network, domain), account, 'inbox')
          const row = rows.find((r) => r.message_id_header === sent.messageIdHeader)
          return row?.content_state === 'complete' ? row : undefined
        }, `${account}'s complete copy`)
      const bobby = await complete('example.org', 'bobby@example.org')
      await complete('example.net', 'bob@example.net')
      expect(JSON.parse(bobby.chain_verification ?? '{}').ok).toBe(true)
      for (const domain of ['example.net', 'example.org']) {
        const resources = network.node(domain).gateway!.ctx.federation.resources
        expect((await readFile(resources.path(digest(image)))).equals(image)).toBe(true)
      }
    } finally {
      await setAutoForward(netDb, 'bob@example.net', null)
    }
  })
})

describe("auto-forward refused by the forwarder's AS", () => {
  it('keeps the message with the forwarding user, who then fetches it, and says why it was not forwarded', {
    timeout: 60_000,
  }, async () => {
    const netDb = db(network, 'example.net')
    await setAutoForward(netDb, 'dave@example.net', ['bobby@example.org'])
    await setForwardPolicy(netDb, 'dave@example.net', 'denied')
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['dave@example.net'],
      subject: 'Not for forwarding',
      text: 'Keep this to yourself.',
    })
    const copy = await waitFor(async () => {
      const [row] = (await messagesIn(netDb, 'dave@example.net', 'inbox')).filter(
        (r) => r.message_id_header === sent.messageIdHeader,
      )
      return row?.content_state === 'complete' ? row : undefined
    }, "dave's copy fetched after the refused forward")
    expect(copy.content_reason).toMatch(/^not forwarded: auto-forward was refused/)
    const job = await netDb
      .selectFrom('forward_jobs')
      .selectAll()
      .where('message_row_id', '=', copy.id)
      .executeTakeFirstOrThrow()
    expect(job.state).toBe('failed')
    const atOrg = await db(network, 'example.org')
      .selectFrom('messages')
      .select('id')
      .where('message_id_header', '=', sent.messageIdHeader)
      .execute()
    expect(atOrg).toEqual([])
  })
})

describe('an auto-forward loop', () => {
  it('ends when the message comes back to a mailbox that already has it', { timeout: 60_000 }, async () => {
    const netDb = db(network, 'example.net')
    const orgDb = db(network, 'example.org')
    await setAutoForward(netDb, 'bob@example.net', ['bobby@example.org'])
    await setAutoForward(orgDb, 'bobby@example.org', ['bob@example.net'])
    try {
      const sent = await sendMail(network.node('example.com'), {
        from: 'alice@example.com',
        to: ['bob@example.net'],
        subject: 'Round and round',
        text: 'Where does it stop?',
      })
      // bob → bobby → bob: the second arrival at example.net is recorded, not stored or forwarded again.
      await waitFor(async () => {
        const rows = await netDb
          .selectFrom('inbound_deliveries')
          .select('sender_domain')
          .where('message_id_header', '=', sent.messageIdHeader)
          .execute()
        return rows.length === 2
      }, 'the message to come back to example.net')
      const bobCopies = await netDb
        .selectFrom('messages')
        .select('id')
        .where('message_id_header', '=', sent.messageIdHeader)
        .execute()
      expect(bobCopies).toHaveLength(1)
      const orgCopies = await orgDb
        .selectFrom('messages')
        .select('id')
        .where('message_id_header', '=', sent.messageIdHeader)
        .execute()
      expect(orgCopies).toHaveLength(1)
      const forwards = await netDb
        .selectFrom('forward_jobs')
        .innerJoin('messages', 'messages.id', 'forward_jobs.message_row_id')
        .select('forward_jobs.id')
        .where('messages.message_id_header', '=', sent.messageIdHeader)
        .execute()
      expect(forwards).toHaveLength(1)
    } finally {
      await setAutoForward(netDb, 'bob@example.net', null)
      await setAutoForward(orgDb, 'bobby@example.org', null)
    }
  })
})
