import { type Network, sendMail } from '@federizer/devnet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { db, messagesIn, openNetwork, testBytes, threeDomains, waitFor } from './federation-helpers.ts'

// The push way (docs/protocol.md §6, "Pushed resources") between real nodes: example.com and
// example.net push and take pushed bodies; example.org is a node of before the push way (pushMaxBytes 0:
// it advertises nothing and pushes nothing). A resource that was pushed has a fetch job recorded done
// without any attempt; a fetched one took an attempt (queue.ts endAttempt counts it).
let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
beforeAll(async () => {
  net = await openNetwork({
    domains: threeDomains({ 'example.org': { gatewayOptions: { pushMaxBytes: 0 } } }),
  })
  network = net.network
}, 60_000)
afterAll(async () => {
  await net?.close()
})

async function arrived(domain: string, account: string, messageId: string) {
  const d = db(network, domain)
  const copy = await waitFor(
    async () =>
      (await messagesIn(d, account, 'inbox')).find(
        (m) => m.message_id_header === messageId && m.content_state === 'complete',
      ),
    `${messageId} complete at ${account}`,
  )
  const jobs = await d
    .selectFrom('fetch_jobs')
    .select(['content_id', 'media_type', 'state', 'attempts'])
    .where('message_row_id', '=', copy.id)
    .execute()
  const refs = await d
    .selectFrom('resource_refs')
    .select(['content_id', 'readable'])
    .where('owner_id', '=', copy.id)
    .execute()
  return { copy, jobs, refs }
}

const wellKnown = async (domain: string) =>
  (await (await fetch(`${network.node(domain).gatewayUrl}/.well-known/federizer`)).json()) as Record<
    string,
    unknown
  >

describe('pushed resources', () => {
  it('are advertised by a node that takes them and not by one that does not', async () => {
    expect((await wellKnown('example.net')).push_max_bytes).toBe(65536)
    expect((await wellKnown('example.org')).push_max_bytes).toBeUndefined()
  })

  it('push-capable → push-capable: the text and HTML bodies arrive with the delivery, the attachment is fetched', {
    timeout: 30_000,
  }, async () => {
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      subject: 'pushed',
      text: 'Hello Bob, pushed with the delivery.',
      html: '<p>Hello <b>Bob</b>, pushed.</p>',
      attachments: [
        { filename: 'big.bin', mediaType: 'application/octet-stream', bytes: testBytes(100_000) },
      ],
    })
    const { copy, jobs, refs } = await arrived('example.net', 'bob@example.net', sent.messageIdHeader)
    // The pushed bodies need no fetch: only the attachment has a job.
    expect(jobs).toEqual([
      expect.objectContaining({ media_type: 'application/octet-stream', state: 'done', attempts: 1 }),
    ])
    // This copy may read every resource it received (the confinement rule), and the pushed text is indexed.
    expect(refs.length).toBe(3)
    expect(refs.every((r) => r.readable === 1)).toBe(true)
    expect(copy.preview ?? '').toContain('pushed with the delivery')
  })

  it('push-capable → a node without push: nothing is pushed, the bodies are fetched', {
    timeout: 30_000,
  }, async () => {
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['bobby@example.org'],
      subject: 'to an older node',
      text: 'Hello Bobby, fetched as before.',
    })
    const { jobs, refs } = await arrived('example.org', 'bobby@example.org', sent.messageIdHeader)
    expect(jobs).toEqual([expect.objectContaining({ state: 'done', attempts: 1 })])
    expect(refs.every((r) => r.readable === 1)).toBe(true)
  })

  it('a node without push → push-capable: the receiver fetches what was not pushed', {
    timeout: 30_000,
  }, async () => {
    const sent = await sendMail(network.node('example.org'), {
      from: 'bobby@example.org',
      to: ['bob@example.net'],
      subject: 'from an older node',
      text: 'Hello Bob, from a node that does not push.',
    })
    const { jobs } = await arrived('example.net', 'bob@example.net', sent.messageIdHeader)
    expect(jobs).toEqual([expect.objectContaining({ state: 'done', attempts: 1 })])
  })
})
