import { readFile } from 'node:fs/promises'
import { type Network, sendMail } from '@federizer/devnet'
import { digest, readMessage } from '@federizer/protocol'
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

    const resources = network.node('example.net').gateway!.ctx.federation.resources
    const attachment = m.attachments[0]!
    expect(attachment.contentId).toBe(digest(image))
    const bytes = await readFile(resources.path(attachment.contentId))
    expect(bytes.equals(image)).toBe(true)
    expect((await readFile(resources.path(m.text!.contentId))).toString()).toBe(
      'Hi Bob, a photo from Venice.',
    )
    expect((await readFile(resources.path(m.html!.contentId))).toString()).toContain('<b>Venice</b>')

    // The sender sees it delivered.
    const status = await waitFor(async () => {
      const s = await deliveryStatus(db(network, 'example.com'), sent.rowId)
      return s[0]?.state === 'delivered' ? s : undefined
    }, 'delivery status delivered')
    expect(status).toMatchObject([{ recipient: 'bob@example.net', state: 'delivered' }])
  })
})
