import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  accessTokenFromKeyFolder,
  haproxyInstalled,
  type Network,
  type ReplicatedDomain,
  startNetwork,
  startPostgres,
  startReplicatedDomain,
} from '@federizer/devnet'
import { ALICE, BOB } from './network.ts'
import { batchRows, CLIENT, deliverBatch } from './postgres.ts'
import { databaseOf } from './postgres-backends.ts'
import type { Row, Section } from './report.ts'

const PASSWORD = 'bench password, not a secret'

/**
 * Issue 13: example.com as 1, then 2 gateway replicas (`federizer serve --only gateway`, one OS process
 * each) and one api replica on a private PostgreSQL behind a private haproxy (devnet's replicated domain),
 * sending to example.net (a gateway process on SQLite). Every process shares the machine's cores.
 */
export async function benchReplicas(options: { messages: number; concurrency: number }): Promise<Section> {
  if (!haproxyInstalled())
    return {
      title: '12. One domain, 1 vs 2 gateway replicas (issue 13)',
      method: 'Not run: haproxy is not installed (scripts/test.sh installs Debian’s haproxy).',
      rows: [],
    }
  const rows: Row[] = []
  const cluster = await startPostgres({ durable: true })
  try {
    for (const gateways of [1, 2]) {
      const dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-bench-replicas-'))
      let network: Network | undefined
      let com: ReplicatedDomain | undefined
      try {
        network = await startNetwork({
          dataRoot,
          undoSendSeconds: 0,
          queueTimeScale: 0.001,
          domains: [
            {
              domain: 'example.net',
              gatewayProcess: true,
              api: false,
              users: [{ email: BOB, password: PASSWORD }],
            },
          ],
        })
        com = await startReplicatedDomain({
          domain: 'example.com',
          users: [{ email: ALICE, password: PASSWORD }],
          dataDir: path.join(dataRoot, 'example.com'),
          postgresAdminUrl: cluster.url('postgres'),
          dnsAddress: network.dns.address,
          gateways,
          apis: 1,
          queueTimeScale: 0.001,
        })
        network.dns.setRecords({
          ...network.dns.records(),
          srv: [...network.srvRecords(), ...com.srvRecords],
        })
        const pids: Record<string, number> = { [CLIENT]: process.pid }
        for (const r of [...com.gateways, ...com.apis]) pids[`example.com ${r.name}`] = r.child?.pid ?? 0
        pids['gateway example.net'] = network.node('example.net').process?.pid ?? 0
        const store = com.config.store
        const token = await accessTokenFromKeyFolder(com.config, ALICE)
        const bobDb = await network.node('example.net').db()
        const apiUrl = com.config.apiUrl
        const batch = (count: number, label: string) =>
          deliverBatch({
            apiUrl,
            token,
            bobDb,
            count,
            concurrency: options.concurrency,
            label,
            pids,
            databases: store?.kind === 'postgres' ? [databaseOf(store.url)] : [],
          })
        await batch(Math.min(options.messages, 50), `${gateways} replicas warm-up`)
        const label = `${gateways} gateway replica${gateways > 1 ? 's' : ''}`
        rows.push(
          ...batchRows(label, options.messages, options.concurrency, await batch(options.messages, label)),
        )
      } finally {
        await com?.stop()
        await network?.stop()
        await rm(dataRoot, { recursive: true, force: true })
      }
    }
  } finally {
    await cluster.stop()
  }
  return {
    title: '12. One domain, 1 vs 2 gateway replicas (issue 13)',
    method:
      'example.com as 1, then 2 gateway replicas and 1 api replica (`federizer serve --only …`, each its own ' +
      'process) on one private PostgreSQL cluster, behind a private haproxy (round robin), sending N text ' +
      `messages to example.net (one gateway process, SQLite), ${options.concurrency} in flight through haproxy, ` +
      'after an uncounted warm-up of up to 50. The sending replicas, the receiver, PostgreSQL, haproxy and the ' +
      'bench share this machine’s cores: a second replica can only add throughput where one process (not the ' +
      'machine) was the limit; compare the per-process CPU with the core count.',
    rows,
  }
}
