import { stat } from 'node:fs/promises'
import path from 'node:path'
import { sendMail } from '@federizer/devnet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { messagesIn, openNetwork, threeDomains, waitFor } from './federation-helpers.ts'

// The MTA is woken by the work it is given, not by polling (issue 14, idle): both gateways poll only
// every 10 minutes here, example.com's in its own OS process. Alice's mail is queued by the api in this
// process, which signals example.com's gateway through the watched file; example.net's delivery endpoint
// wakes its own fetch queue. A poll-driven MTA would take 10 minutes; the test allows 20 s.
let net: Awaited<ReturnType<typeof openNetwork>>
beforeAll(async () => {
  const [com, netDomain] = threeDomains()
  net = await openNetwork({
    domains: [{ ...com!, gatewayProcess: true }, netDomain!],
    gatewayOptions: { pollIntervalMs: 600_000 },
  })
}, 60_000)
afterAll(async () => {
  await net?.close()
})

describe('MTA wake-up', () => {
  it('delivers and fetches a message at once though no queue polls for 10 minutes', {
    timeout: 40_000,
  }, async () => {
    // Let both runners make their first (empty) claim and go to sleep.
    await new Promise((r) => setTimeout(r, 1000))
    for (const n of [1, 2]) {
      const sent = await sendMail(net.network.node('example.com'), {
        from: 'alice@example.com',
        to: ['bob@example.net'],
        subject: `woken ${n}`,
        text: `no poll needed ${n}`,
      })
      const bobDb = await net.network.node('example.net').db()
      const row = await waitFor(
        async () =>
          (await messagesIn(bobDb, 'bob@example.net', 'inbox')).find(
            (m) => m.message_id_header === sent.messageIdHeader && m.content_state === 'complete',
          ),
        `message ${n} complete at Bob`,
        20_000,
      )
      expect(row.subject).toBe(`woken ${n}`)
    }
  })
})

// `federizer serve`'s shape: example.com's api and gateway on ONE domain context. The api wakes the MTA
// in this process (DomainContext.outboxWakers), at once; the watched file is not written (the file's
// `data_version`, read every 250 ms on a connection of its own, is the safety net behind it).
describe('MTA wake-up on one domain context', () => {
  let one: Awaited<ReturnType<typeof openNetwork>>
  beforeAll(async () => {
    one = await openNetwork({
      domains: threeDomains().slice(0, 2),
      gatewayOptions: { pollIntervalMs: 600_000 },
    })
  }, 60_000)
  afterAll(async () => {
    await one?.close()
  })

  it('is woken by the api directly, without the file', { timeout: 40_000 }, async () => {
    const sender = one.network.node('example.com')
    const wakeFile = path.join(sender.config.dataDir, 'queue-wake')
    await new Promise((r) => setTimeout(r, 1000))
    const before = (await stat(wakeFile)).mtimeMs
    // The gateway's MTA listens on the context; the api calls every listener once per send.
    const wakers = sender.gateway!.ctx.domain.outboxWakers
    expect(wakers.size).toBe(1)
    let woken = 0
    const count = () => {
      woken++
    }
    wakers.add(count)
    const sent = await sendMail(sender, {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      subject: 'woken in process',
      text: 'no file needed',
    })
    const bobDb = await one.network.node('example.net').db()
    await waitFor(
      async () =>
        (await messagesIn(bobDb, 'bob@example.net', 'inbox')).find(
          (m) => m.message_id_header === sent.messageIdHeader && m.content_state === 'complete',
        ),
      'the message complete at Bob',
      20_000,
    )
    wakers.delete(count)
    expect(woken).toBe(1)
    expect((await stat(wakeFile)).mtimeMs).toBe(before)
  })
})
