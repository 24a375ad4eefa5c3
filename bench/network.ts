import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { AppRouter } from '@federizer/api'
import { type Network, type NetworkNode, startNetwork } from '@federizer/devnet'
import type { DomainConfig } from '@federizer/node'
import type { AllowedAlg } from '@federizer/protocol'
import { loadOrCreateDomainKeys } from '@federizer/store'
import { createTRPCClient, httpLink } from '@trpc/client'
import { clientFetch } from './client-fetch.ts'
import { type NodeProcess, startNodeProcess } from './proc.ts'

export const ALICE = 'alice@example.com'
export const BOB = 'bob@example.net'
const PASSWORD = 'bench password, not a secret'

export interface BenchNetworkOptions {
  /** AS signing algorithm of every domain (default ES256). */
  alg?: AllowedAlg
  /** Start example.net's api (for sync as Bob); example.com's always runs. */
  receiverApi?: boolean
  /** Largest resource (default: the store's 1 GiB). */
  maxResourceBytes?: number
  /** MTA queue poll interval when idle (default: the gateway's, 200 ms). */
  pollIntervalMs?: number
  /**
   * Overrides the AS's per-client token rate limits per minute (every client's and the domain MTA's);
   * the gateway's defaults when unset, as in every section of the bench.
   */
  tokenPerClientMax?: number
  /** Pushed resources per delivery (default: the gateway's, 64 KiB; 0: every resource is fetched). */
  pushMaxBytes?: number
  /** Maintenance URL of a PostgreSQL cluster: both domains' stores there (default: SQLite files). */
  postgresAdminUrl?: string
  /**
   * Run example.com's gateway and api in ONE process on one domain context, the production shape of
   * `federizer serve` (bench/domain-process.ts); by default each runs in its own process.
   */
  oneProcess?: boolean
}

export interface BenchNetwork {
  network: Network
  dataRoot: string
  sender: NetworkNode
  receiver: NetworkNode
  /** example.com's api process (with `oneProcess`, the process of its whole domain). */
  senderApi: NodeProcess
  receiverApi: NodeProcess | undefined
  /** The pids of every process of the network (gateways, apis, this one). */
  pids(): Record<string, number>
  close(): Promise<void>
}

/**
 * Two domains (example.com with alice, example.net with bob) on a real DNS server on loopback (devnet's
 * `startNetwork`), each gateway (AS + federation + MTA) and each api in its own OS process (bench/*-process.ts),
 * undo window 0; the MTAs poll at their default interval (they are woken by the work they are given).
 */
export async function openBenchNetwork(options: BenchNetworkOptions = {}): Promise<BenchNetwork> {
  const dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-bench-'))
  const domains = ['example.com', 'example.net']
  if (options.alg && options.alg !== 'ES256') {
    // Keys made before the first start are used as they are (the store creates ES256 otherwise).
    for (const d of domains)
      await loadOrCreateDomainKeys({ dataDir: path.join(dataRoot, d) }, { alg: options.alg })
  }
  let network: Network | undefined
  const processes: { name: string; proc: NodeProcess }[] = []
  const stopAll = async () => {
    for (const p of processes.reverse()) await p.proc.stop()
    await network?.stop()
    await rm(dataRoot, { recursive: true, force: true })
  }
  try {
    // devnet lays out the domains, keys, users and SRV records; the bench then runs each node itself.
    network = await startNetwork({
      dataRoot,
      undoSendSeconds: 0,
      queueTimeScale: 0.001,
      ...(options.postgresAdminUrl ? { postgresAdminUrl: options.postgresAdminUrl } : {}),
      ...(options.maxResourceBytes ? { limits: { maxResourceBytes: options.maxResourceBytes } } : {}),
      domains: [
        {
          domain: 'example.com',
          gatewayProcess: true,
          api: false,
          users: [{ email: ALICE, password: PASSWORD, name: 'Alice' }],
        },
        {
          domain: 'example.net',
          gatewayProcess: true,
          api: false,
          users: [{ email: BOB, password: PASSWORD, name: 'Bob' }],
        },
      ],
    })
    const knobs = {
      // The gateway's own default poll: the api's enqueue and each delivery wake the MTA (issue 14).
      ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
      ...(options.tokenPerClientMax !== undefined ? { tokenPerClientMax: options.tokenPerClientMax } : {}),
      ...(options.pushMaxBytes !== undefined ? { pushMaxBytes: options.pushMaxBytes } : {}),
    }
    const sender = network.node('example.com')
    const receiver = network.node('example.net')
    let senderApi: NodeProcess | undefined
    for (const node of network.nodes.values()) {
      await node.process?.kill('SIGTERM')
      node.process = undefined
      if (options.oneProcess && node === sender) {
        senderApi = await startNodeProcess('domain', node.config, node.apiPort, knobs, node.gatewayPort)
        processes.push({ name: `domain ${node.domain} (gateway + api)`, proc: senderApi })
        continue
      }
      const gateway = await startNodeProcess('gateway', node.config, node.gatewayPort, knobs)
      processes.push({ name: `gateway ${node.domain}`, proc: gateway })
    }
    if (!senderApi) {
      senderApi = await startNodeProcess('api', sender.config, sender.apiPort)
      processes.push({ name: 'api example.com', proc: senderApi })
    }
    const receiverApi = options.receiverApi
      ? await startNodeProcess('api', receiver.config, receiver.apiPort)
      : undefined
    if (receiverApi) processes.push({ name: 'api example.net', proc: receiverApi })
    return {
      network,
      dataRoot,
      sender,
      receiver,
      senderApi,
      receiverApi,
      pids() {
        const out: Record<string, number> = { 'bench (client)': process.pid }
        for (const p of processes) out[p.name] = p.proc.pid
        return out
      },
      close: stopAll,
    }
  } catch (e) {
    await stopAll()
    throw e
  }
}

/** A typed tRPC client over HTTP, as the webmail and the CLI use it, on the bench's lean client fetch. */
export function trpcClient(apiUrl: string, token: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({ url: `${apiUrl}/trpc`, headers: { authorization: `Bearer ${token}` }, fetch: clientFetch }),
    ],
  })
}

export interface UploadedResource {
  contentId: string
  size: number
  mediaType: string
  filename?: string
}

/** Streams `file` to `POST /resources` (never holding it in memory) and returns the api's answer. */
export async function uploadFile(
  apiUrl: string,
  token: string,
  file: string,
  bytes: number,
  meta: { mediaType: string; filename: string },
): Promise<UploadedResource> {
  const url = new URL(`${apiUrl}/resources`)
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: url.pathname,
        headers: {
          'content-length': bytes,
          authorization: `Bearer ${token}`,
          'content-type': meta.mediaType,
          'x-filename': meta.filename,
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          if (res.statusCode === 201) resolve(JSON.parse(text) as UploadedResource)
          else reject(new Error(`upload answered ${res.statusCode}: ${text.slice(0, 300)}`))
        })
      },
    )
    req.on('error', reject)
    createReadStream(file, { highWaterMark: 4 * 2 ** 20 })
      .on('error', reject)
      .pipe(req)
  })
}

/** Sends a message as the webmail does (undo window 0: it leaves at once); returns its Message-ID header. */
export async function submitMail(
  client: ReturnType<typeof trpcClient>,
  mail: { to: string[]; subject: string; text: string; attachments?: UploadedResource[] },
): Promise<string> {
  const draft = {
    to: mail.to.map((address) => ({ address })),
    cc: [],
    bcc: [],
    subject: mail.subject,
    text: mail.text,
    attachments: mail.attachments ?? [],
  }
  // BENCH_SAVE_FIRST=1: the flow before the webmail sent the form in one request (draft.save, then send).
  if (process.env.BENCH_SAVE_FIRST === '1') {
    const saved = await client.draft.save.mutate(draft)
    await client.send.submit.mutate({ draftId: saved.id })
    return saved.messageIdHeader
  }
  // As the webmail's Send: the form saved and sent in one request.
  return (await client.send.submit.mutate({ draft })).messageIdHeader
}

export type { DomainConfig }
