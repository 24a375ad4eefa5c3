// Issue 13, "Wake-ups instead of polling": example.com as 2 gateway processes on a private PostgreSQL
// behind haproxy, with their default idle poll (60 s: the safety net of a domain on PostgreSQL). Mail is
// queued by an api that runs as if on another machine: its own data folder, with the resource and key
// folders shared (the NFS mount of docs/operations.md), so its watched-file signal (queue-wake.ts) reaches
// no gateway. Only the queue notifications (LISTEN/NOTIFY) can wake the gateways before the poll.
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Api, appRouter, createApi } from '@federizer/api'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  accessTokenFromKeyFolder,
  haproxyInstalled,
  type Network,
  type PostgresCluster,
  postgresInstalled,
  type ReplicatedDomain,
  startNetwork,
  startPostgres,
  startReplicatedDomain,
} from '../src/index.ts'

const PASSWORD = 'correct horse battery staple'
const missing = [postgresInstalled() ? '' : 'PostgreSQL', haproxyInstalled() ? '' : 'haproxy'].filter(Boolean)

let cluster: PostgresCluster
let network: Network
let com: ReplicatedDomain
let remoteApi: Api
let dataRoot: string

beforeAll(async () => {
  if (missing.length > 0) return
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-wakeups-'))
  cluster = await startPostgres()
  network = await startNetwork({
    dataRoot,
    gatewayOptions: { pollIntervalMs: 50 },
    domains: [{ domain: 'example.net', users: [{ email: 'bob@example.net', password: PASSWORD }] }],
  })
  const shared = path.join(dataRoot, 'example.com')
  com = await startReplicatedDomain({
    domain: 'example.com',
    users: [{ email: 'alice@example.com', password: PASSWORD }],
    dataDir: shared,
    postgresAdminUrl: cluster.url('postgres'),
    dnsAddress: network.dns.address,
    apis: 1,
  })
  network.dns.setRecords({ ...network.dns.records(), srv: [...network.srvRecords(), ...com.srvRecords] })
  const elsewhere = path.join(dataRoot, 'api-on-another-machine')
  await mkdir(elsewhere, { recursive: true, mode: 0o700 })
  for (const folder of ['resources', 'keys']) {
    await mkdir(path.join(shared, folder), { recursive: true })
    await symlink(path.join(shared, folder), path.join(elsewhere, folder))
  }
  remoteApi = await createApi({ ...com.config, dataDir: elsewhere }, { logger: pino({ level: 'silent' }) })
}, 120_000)

afterAll(async () => {
  await remoteApi?.close()
  await com?.stop()
  await network?.stop()
  await cluster?.stop()
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true })
})

describe.skipIf(missing.length > 0)('queue wake-ups across replicas (PostgreSQL LISTEN/NOTIFY)', () => {
  it('mail queued by another machine leaves through a gateway replica at once, not at its 60 s poll', {
    timeout: 60_000,
  }, async () => {
    // Let both gateway replicas make their first (empty) claims and go to sleep.
    await new Promise((r) => setTimeout(r, 1500))
    const token = await accessTokenFromKeyFolder(com.config, 'alice@example.com')
    const alice = appRouter.createCaller({ api: remoteApi.ctx, authorization: `Bearer ${token}` })
    const netDb = await network.node('example.net').db()
    for (const n of [1, 2]) {
      const started = Date.now()
      const draft = await alice.draft.save({
        to: [{ address: 'bob@example.net' }],
        cc: [],
        bcc: [],
        subject: `woken ${n}`,
        text: `queued elsewhere ${n}`,
        attachments: [],
      })
      await alice.send.submit({ draftId: draft.id })
      const deadline = started + 6_000
      for (;;) {
        const row = await netDb
          .selectFrom('messages')
          .select(['content_state'])
          .where('account', '=', 'bob@example.net')
          .where('message_id_header', '=', draft.messageIdHeader)
          .executeTakeFirst()
        if (row?.content_state === 'complete') break
        if (Date.now() > deadline) throw new Error(`message ${n} not at Bob within 6 s (the poll is 60 s)`)
        await new Promise((r) => setTimeout(r, 100))
      }
      expect(Date.now() - started).toBeLessThan(6_000)
    }
  })
})
