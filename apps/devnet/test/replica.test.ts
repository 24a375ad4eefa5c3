// Issue 13, "Real parts in the tests": one domain (example.com) as 2 gateway + 2 api processes on a private
// PostgreSQL behind a private haproxy, sharing one data folder, talking to example.net (SQLite) through the
// dev network's real DNS. docs/operations.md ("Production layout") describes what this proves.
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createDpopKey, createDpopProof, digest } from '@federizer/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  accessTokenFromKeyFolder,
  haproxyInstalled,
  type Network,
  type PostgresCluster,
  postgresInstalled,
  type ReplicatedDomain,
  sendMail,
  startNetwork,
  startPostgres,
  startReplicatedDomain,
  testBytes,
} from '../src/index.ts'
import { authorizationRequest, browser, redeemCode, refresh, sendExchange, signIn } from './replica-oauth.ts'

const PASSWORD = 'correct horse battery staple'
const alice = { email: 'alice@example.com', password: PASSWORD }
const missing = [postgresInstalled() ? '' : 'PostgreSQL', haproxyInstalled() ? '' : 'haproxy'].filter(Boolean)
if (missing.length > 0)
  console.warn(
    `replica test skipped: ${missing.join(' and ')} not installed (scripts/test.sh installs Debian's postgresql and haproxy)`,
  )

let cluster: PostgresCluster
let network: Network
let com: ReplicatedDomain
let dataRoot: string

beforeAll(async () => {
  if (missing.length > 0) return
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-replica-'))
  cluster = await startPostgres()
  network = await startNetwork({
    dataRoot,
    queueTimeScale: 0.01,
    gatewayOptions: { pollIntervalMs: 50 },
    domains: [
      {
        domain: 'example.net',
        users: [{ email: 'bob@example.net', password: PASSWORD }],
        // Every resource goes the share-then-fetch way: the replicas' MTAs fetch each one.
        gatewayOptions: { pushMaxBytes: 0 },
      },
    ],
  })
  com = await startReplicatedDomain({
    domain: 'example.com',
    users: [alice],
    dataDir: path.join(dataRoot, 'example.com'),
    postgresAdminUrl: cluster.url('postgres'),
    dnsAddress: network.dns.address,
    queueTimeScale: 0.01,
  })
  network.dns.setRecords({
    ...network.dns.records(),
    srv: [...network.srvRecords(), ...com.srvRecords],
  })
}, 120_000)

afterAll(async () => {
  await com?.stop()
  await network?.stop()
  await cluster?.stop()
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true })
})

const g1 = () => com.gateways[0]!.url
const g2 = () => com.gateways[1]!.url

/** Polls `probe` until it returns a truthy value (never a fixed sleep as an assertion). */
async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, what: string, ms = 60_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await probe().catch(() => undefined)
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe.skipIf(missing.length > 0)('one domain as replicas behind haproxy on one PostgreSQL', () => {
  it('a DPoP proof accepted by replica 1 is refused when replayed to replica 2', async () => {
    const first = await sendExchange(com.config, g1(), alice.email)
    expect(first.status).toBe(200)
    const replay = await sendExchange(com.config, g2(), alice.email, first.proof)
    expect(replay.status).toBe(400)
    expect(replay.body.error).toBe('invalid_dpop_proof')
    expect(replay.body.error_description).toMatch(/already used/)
    // The same exchange with a fresh proof is fine on replica 2: only the replay was refused.
    expect((await sendExchange(com.config, g2(), alice.email)).status).toBe(200)
    // A proof for another URL than the public token endpoint is refused on any replica.
    const wrongHtu = await createDpopProof({
      key: await createDpopKey(),
      htm: 'POST',
      htu: `${g2()}/token`,
      now: Math.floor(Date.now() / 1000),
    })
    expect((await sendExchange(com.config, g2(), alice.email, wrongHtu)).body.error).toBe(
      'invalid_dpop_proof',
    )
  })

  it('a sign-in (authorization code + PKCE) through replica 1 is usable through replica 2', async () => {
    const { code, jar } = await signIn(com.config, g1(), alice)
    // The code cannot be redeemed with another verifier on replica 2 …
    const wrong = await redeemCode(com.config, g2(), code, 'x'.repeat(43))
    expect(wrong.status).toBe(400)
    expect(wrong.body.error).toBe('invalid_grant')
    const other = await signIn(com.config, g1(), alice)
    const tokens = await redeemCode(com.config, g2(), other.code, other.verifier)
    expect(tokens.status).toBe(200)
    const read = (api: string) =>
      fetch(`${api}/trpc/mailbox.list`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } })
    // The access token from replica 2's AS reads the mailbox through either api replica.
    for (const api of com.apis) expect((await read(api.url)).status).toBe(200)
    // … and the code cannot be redeemed twice across replicas: the replay revokes what it issued
    // (RFC 6749 §4.1.2), on every api replica.
    expect((await redeemCode(com.config, g1(), other.code, other.verifier)).body.error).toBe('invalid_grant')
    for (const api of com.apis) expect((await read(api.url)).status).toBe(401)
    // The login session set by replica 1 signs in again on replica 2 without the form.
    const again = await jar.fetch(authorizationRequest(com.config, g2()).url)
    expect(again.status).toBe(303)
    expect(new URL(again.headers.get('location')!).searchParams.get('code')).toBeTruthy()
    // A browser without that session gets the form.
    expect((await browser().fetch(authorizationRequest(com.config, g2()).url)).status).toBe(200)
  })

  it('a refresh token rotated on one replica is reuse-detected on the other', async () => {
    const { code, verifier } = await signIn(com.config, g2(), alice)
    const first = (await redeemCode(com.config, g2(), code, verifier)).body
    const rotated = await refresh(com.config, g1(), first.refresh_token!)
    expect(rotated.status).toBe(200)
    expect(rotated.body.refresh_token).not.toBe(first.refresh_token)
    const reuse = await refresh(com.config, g2(), first.refresh_token!)
    expect(reuse.status).toBe(400)
    expect(reuse.body.error).toBe('invalid_grant')
    expect(reuse.body.error_description).toMatch(/already used/)
    // Reuse revokes the family: the rotated token is dead on the replica that issued it.
    const stolen = await refresh(com.config, g1(), rotated.body.refresh_token!)
    expect(stolen.body.error).toBe('invalid_grant')
    expect(stolen.body.error_description).toMatch(/revoked/)
  })

  it('300 deliveries with fetches, one gateway replica SIGKILLed mid-run and restarted: each delivered once, bytes intact', {
    timeout: 120_000,
  }, async () => {
    const batch = await sendBatch(0, 300)
    await waitFor(async () => (await inboundCount()) >= 60, 'the first deliveries', 60_000)
    const victim = com.gateways[0]!
    const pid = victim.child!.pid!
    await victim.kill('SIGKILL')
    expect(() => process.kill(pid, 0)).toThrow()
    // Cut off mid-run: not everything had arrived (otherwise the crash proves nothing).
    expect(await inboundCount()).toBeLessThan(300)
    await victim.start()
    await batch.sent
    await expectAllDelivered(batch.mail)
  })
})

interface Sent {
  subject: string
  messageIdHeader: string
  rowId: string
  attachment: { contentId: string; bytes: Buffer }
}

/** Sends `count` messages bob@example.net → alice@example.com, 6 at a time, each with its own attachment. */
function sendBatch(from: number, count: number) {
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

const inboundCount = async () =>
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
async function expectAllDelivered(mail: Sent[]) {
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
      const res = await fetch(`${com.config.apiUrl}/resources/${m.attachment.contentId}`, {
        headers: { authorization: `Bearer ${token}` },
      })
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
