// What the replica tests share (replica.test.ts, replica-outage.test.ts): the testbed (example.com as
// replicas on a private PostgreSQL behind haproxy, example.net on SQLite), a batch of deliveries
// example.net → alice@example.com with one fetched attachment each, and the check that every one of them
// arrived exactly once, byte-identical, with no bounce.
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { digest } from '@federizer/protocol'
import { expect } from 'vitest'
import {
  accessTokenFromKeyFolder,
  type Network,
  type PostgresCluster,
  type ReplicatedDomain,
  sendMail,
  startNetwork,
  startPostgres,
  startReplicatedDomain,
  testBytes,
} from '../src/index.ts'

const alice = { email: 'alice@example.com' }

export interface ReplicaTestbed {
  cluster: PostgresCluster
  network: Network
  com: ReplicatedDomain
  stop(): Promise<void>
}

/**
 * example.com (user alice, `password`) as 2 gateway + 2 api processes on a private PostgreSQL cluster
 * behind haproxy, and example.net (user bob) on SQLite in this process, every resource share-then-fetch.
 */
export async function startReplicaTestbed(password: string): Promise<ReplicaTestbed> {
  const dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-replica-'))
  const cluster = await startPostgres()
  const network = await startNetwork({
    dataRoot,
    queueTimeScale: 0.01,
    gatewayOptions: { pollIntervalMs: 50 },
    domains: [
      {
        domain: 'example.net',
        users: [{ email: 'bob@example.net', password }],
        // Every resource goes the share-then-fetch way: the replicas' MTAs fetch each one.
        gatewayOptions: { pushMaxBytes: 0 },
      },
    ],
  })
  const com = await startReplicatedDomain({
    domain: 'example.com',
    users: [{ email: alice.email, password }],
    dataDir: path.join(dataRoot, 'example.com'),
    postgresAdminUrl: cluster.url('postgres'),
    dnsAddress: network.dns.address,
    queueTimeScale: 0.01,
  })
  network.dns.setRecords({
    ...network.dns.records(),
    srv: [...network.srvRecords(), ...com.srvRecords],
  })
  return {
    cluster,
    network,
    com,
    async stop() {
      await com.stop()
      await network.stop()
      await cluster.stop()
      await rm(dataRoot, { recursive: true, force: true })
    },
  }
}

/** Polls `probe` until it returns a truthy value (never a fixed sleep as an assertion). */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  what: string,
  ms = 60_000,
) {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await probe().catch(() => undefined)
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export interface Sent {
  subject: string
  messageIdHeader: string
  rowId: string
  attachment: { contentId: string; bytes: Buffer }
}

/** Sends `count` messages bob@example.net → alice@example.com, 6 at a time, each with its own attachment. */
export function sendBatch(network: Network, from: number, count: number) {
  const mail: Sent[] = []
  const net = network.node('example.net')
  let next = from
  const worker = async () => {
    while (next < from + count) {
      const i = next++
      const bytes = testBytes(i % 10 === 0 ? 200 * 1024 : 2048 + i * 37, i + 1)
      const subject = `Replica ${i}`
      const s = await sendMail(net, {
        from: 'bob@example.net',
        to: [alice.email],
        subject,
        text: `message ${i}`,
        attachments: [{ filename: `f${i}.bin`, mediaType: 'application/octet-stream', bytes }],
      })
      mail.push({
        subject,
        messageIdHeader: s.messageIdHeader,
        rowId: s.rowId,
        attachment: { contentId: s.attachments[0]!.contentId, bytes },
      })
    }
  }
  return { mail, sent: Promise.all(Array.from({ length: 6 }, worker)) }
}

export const inboundCount = async (com: ReplicatedDomain) =>
  Number(
    (
      await com.db
        .selectFrom('inbound_deliveries')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )

/**
 * Every message of `mail` in alice's mailbox exactly once with its content complete, every fetch job done,
 * every attachment byte-identical when read through the api replicas (SHA-256), the sender's status
 * "delivered" for each, no notice (bounce or delay) back to bob, and no 500 from any replica.
 */
export async function expectAllDelivered(
  com: ReplicatedDomain,
  network: Network,
  mail: Sent[],
  options: { honourRetryAfter?: boolean } = {},
) {
  const ids = mail.map((m) => m.messageIdHeader)
  await waitFor(
    async () => {
      const rows = await com.db
        .selectFrom('messages')
        .select(['content_state'])
        .where('account', '=', alice.email)
        .where('message_id_header', 'in', ids)
        .execute()
      return rows.length >= mail.length && rows.every((r) => r.content_state === 'complete')
    },
    'every message delivered and fetched',
    90_000,
  )
  const rows = await com.db
    .selectFrom('messages')
    .select('message_id_header')
    .where('account', '=', alice.email)
    .where('message_id_header', 'in', ids)
    .execute()
  expect(rows).toHaveLength(mail.length)
  expect(new Set(rows.map((r) => r.message_id_header)).size).toBe(mail.length)
  const deliveries = await com.db
    .selectFrom('inbound_deliveries')
    .select('id')
    .where('message_id_header', 'in', ids)
    .execute()
  expect(deliveries).toHaveLength(mail.length)
  const jobs = await com.db
    .selectFrom('fetch_jobs')
    .select('state')
    .where('message_id_header', 'in', ids)
    .execute()
  expect(jobs.length).toBeGreaterThanOrEqual(mail.length * 2)
  expect(jobs.every((j) => j.state === 'done')).toBe(true)
  const token = await accessTokenFromKeyFolder(com.config, alice.email)
  const queue = [...mail]
  const read = async () => {
    for (let m = queue.shift(); m; m = queue.shift()) {
      const get = () =>
        fetch(`${com.config.apiUrl}/resources/${m.attachment.contentId}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      let res = await get()
      // After an outage a 503 with Retry-After is an allowed answer: the client waits as told, then reads.
      for (let retry = 0; options.honourRetryAfter && res.status === 503 && retry < 3; retry++) {
        const wait = Number(res.headers.get('retry-after'))
        expect(wait, '503 without Retry-After').toBeGreaterThan(0)
        await res.arrayBuffer()
        await new Promise((r) => setTimeout(r, Math.min(wait, 5) * 1000))
        res = await get()
      }
      expect(res.status).toBe(200)
      const bytes = Buffer.from(await res.arrayBuffer())
      expect(createHash('sha256').update(bytes).digest('base64url')).toBe(m.attachment.contentId)
      expect(digest(m.attachment.bytes)).toBe(m.attachment.contentId)
    }
  }
  await Promise.all(Array.from({ length: 8 }, read))
  const netDb = await network.node('example.net').db()
  await waitFor(
    async () => {
      const st = await netDb
        .selectFrom('delivery_status')
        .select('state')
        .where(
          'message_row_id',
          'in',
          mail.map((m) => m.rowId),
        )
        .execute()
      return st.length === mail.length && st.every((x) => x.state === 'delivered')
    },
    'every delivery status delivered',
    30_000,
  )
  const notices = await netDb
    .selectFrom('messages')
    .innerJoin('mailboxes', 'mailboxes.id', 'messages.mailbox_id')
    .select('messages.subject')
    .where('messages.account', '=', 'bob@example.net')
    .where('mailboxes.role', '=', 'inbox')
    .execute()
  expect(notices).toEqual([])
  const served = com.haproxy.responses()
  expect(served.filter((r) => r.status === 500)).toEqual([])
  // Both gateway replicas took deliveries.
  const by = new Set(
    served.filter((r) => r.path.startsWith('/federizer/deliveries') && r.status < 300).map((r) => r.server),
  )
  expect(by).toEqual(new Set(['gateway1', 'gateway2']))
}
