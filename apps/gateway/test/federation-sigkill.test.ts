import { readFile } from 'node:fs/promises'
import { type Network, sendMail } from '@federizer/devnet'
import { digest } from '@federizer/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openNetwork, testBytes, threeDomains, waitFor } from './federation-helpers.ts'

let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network

beforeAll(async () => {
  net = await openNetwork({
    domains: threeDomains({
      'example.com': { gatewayProcess: true },
      'example.net': { gatewayProcess: true },
    }),
  })
  network = net.network
}, 90_000)
afterAll(async () => {
  await net?.close()
})

describe('gateways killed with SIGKILL in the middle of deliveries and fetches', () => {
  it('restart and finish the work: every message delivered and fetched once, bytes intact', {
    timeout: 120_000,
  }, async () => {
    const com = network.node('example.com')
    const netNode = network.node('example.net')
    const comDb = await com.db()
    const netDb = await netNode.db()
    const count = 12
    const sent: Array<{ rowId: string; messageIdHeader: string; image: Buffer }> = []
    for (let i = 0; i < count; i++) {
      const image = testBytes(512 * 1024, 100 + i)
      const s = await sendMail(com, {
        from: 'alice@example.com',
        to: ['bob@example.net'],
        subject: `Crash test ${i}`,
        text: `message ${i}`,
        attachments: [{ filename: `p${i}.bin`, mediaType: 'application/octet-stream', bytes: image }],
      })
      sent.push({ rowId: s.rowId, messageIdHeader: s.messageIdHeader, image })
    }
    // Kill both gateways once the receiver has started accepting, while work is still in flight.
    await waitFor(
      async () => {
        const rows = await netDb.selectFrom('inbound_deliveries').select('id').execute()
        return rows.length >= 1
      },
      'the first deliveries',
      60_000,
    )
    const pidNet = netNode.process!.pid
    const pidCom = com.process!.pid
    await netNode.kill('SIGKILL')
    await com.kill('SIGKILL')
    expect(() => process.kill(pidNet, 0)).toThrow()
    expect(() => process.kill(pidCom, 0)).toThrow()
    const partway = await netDb.selectFrom('fetch_jobs').select('state').execute()
    // Some work was cut off (otherwise the test proves nothing about a crash).
    const delivered = (await comDb.selectFrom('outbox').select('state').execute()).filter(
      (r) => r.state === 'delivered',
    ).length
    // One fetch job per message: the text body is pushed with the delivery, the 512 KiB attachment is fetched.
    expect(delivered < count || partway.some((j) => j.state !== 'done') || partway.length < count).toBe(true)

    await com.start()
    await netNode.start()
    await waitFor(
      async () => {
        const rows = await netDb
          .selectFrom('messages')
          .select(['message_id_header', 'content_state'])
          .where('account', '=', 'bob@example.net')
          .where('subject', 'like', 'Crash test %')
          .execute()
        return rows.length === count && rows.every((r) => r.content_state === 'complete')
      },
      'every message delivered and fetched after the restart',
      90_000,
    )
    const ids = sent.map((s) => s.messageIdHeader)
    expect(
      await netDb.selectFrom('messages').select('id').where('message_id_header', 'in', ids).execute(),
    ).toHaveLength(count)
    expect(
      await netDb
        .selectFrom('inbound_deliveries')
        .select('id')
        .where('message_id_header', 'in', ids)
        .execute(),
    ).toHaveLength(count)
    const jobs = await netDb
      .selectFrom('fetch_jobs')
      .select(['state'])
      .where('message_id_header', 'in', ids)
      .execute()
    expect(jobs).toHaveLength(count)
    expect(jobs.every((j) => j.state === 'done')).toBe(true)
    const dir = `${netNode.config.dataDir}/resources`
    for (const s of sent) {
      const id = digest(s.image)
      expect((await readFile(`${dir}/${id.slice(0, 2)}/${id}`)).equals(s.image)).toBe(true)
    }
    await waitFor(async () => {
      const st = await comDb
        .selectFrom('delivery_status')
        .select('state')
        .where(
          'message_row_id',
          'in',
          sent.map((s) => s.rowId),
        )
        .execute()
      return st.length === count && st.every((x) => x.state === 'delivered')
    }, 'every delivery status delivered')
  })
})
