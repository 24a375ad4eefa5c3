import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { AppRouter } from '@federizer/api'
import { type Network, type NetworkNode, startNetwork } from '@federizer/devnet'
import type { AllowedAlg } from '@federizer/protocol'
import { type DomainConfig, loadOrCreateDomainKeys } from '@federizer/store'
import { createTRPCClient, httpLink } from '@trpc/client'
import { type ApiProcess, startApiProcess } from './proc.ts'

export const ALICE = 'alice@example.com'
export const BOB = 'bob@example.net'
const PASSWORD = 'bench password, not a secret'

export interface BenchNetworkOptions {
  /** AS signing algorithm of both domains (default ES256). */
  alg?: AllowedAlg
  /** Run example.com's api as its own process (bench/api-process.ts) instead of in this one. */
  senderApiProcess?: boolean
  /** Start example.net's api in this process (for sync.changes as Bob). */
  receiverApi?: boolean
  /** Largest resource (default: the store's 1 GiB). */
  maxResourceBytes?: number
  /** MTA queue poll interval when idle (default 10 ms). */
  pollIntervalMs?: number
  /** Extra users on example.com (e.g. an auto-forwarder). */
  extraUsers?: { email: string; autoForwardTo?: string[] }[]
  /** Add example.org (bobby@example.org). */
  withOrg?: boolean
}

export interface BenchNetwork {
  network: Network
  dataRoot: string
  sender: NetworkNode
  receiver: NetworkNode
  /** example.com's api process, when `senderApiProcess`. */
  senderApi: ApiProcess | undefined
  /** The pids of every process of the network (gateways, api process, this one). */
  pids(): Record<string, number>
  close(): Promise<void>
}

/**
 * Two domains (example.com with alice, example.net with bob) on a real DNS server on loopback, each
 * gateway (AS + federation + MTA) in its own OS process, undo window 0 and a fast MTA poll interval.
 */
export async function openBenchNetwork(options: BenchNetworkOptions = {}): Promise<BenchNetwork> {
  const dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-bench-'))
  const domains = ['example.com', 'example.net', ...(options.withOrg ? ['example.org'] : [])]
  if (options.alg && options.alg !== 'ES256') {
    // Keys made before the first start are used as they are (the store creates ES256 otherwise).
    for (const d of domains)
      await loadOrCreateDomainKeys({ dataDir: path.join(dataRoot, d) }, { alg: options.alg })
  }
  let network: Network | undefined
  let senderApi: ApiProcess | undefined
  try {
    network = await startNetwork({
      dataRoot,
      undoSendSeconds: 0,
      queueTimeScale: 0.001,
      gatewayOptions: { pollIntervalMs: options.pollIntervalMs ?? 10 },
      ...(options.maxResourceBytes ? { limits: { maxResourceBytes: options.maxResourceBytes } } : {}),
      domains: [
        {
          domain: 'example.com',
          gatewayProcess: true,
          api: !options.senderApiProcess,
          users: [
            { email: ALICE, password: PASSWORD, name: 'Alice' },
            ...(options.extraUsers ?? []).map((u) => ({ ...u, password: PASSWORD })),
          ],
        },
        {
          domain: 'example.net',
          gatewayProcess: true,
          api: options.receiverApi ?? false,
          users: [{ email: BOB, password: PASSWORD, name: 'Bob' }],
        },
        ...(options.withOrg
          ? [
              {
                domain: 'example.org',
                gatewayProcess: true,
                api: false,
                users: [{ email: 'bobby@example.org', password: PASSWORD }],
              },
            ]
          : []),
      ],
    })
    const sender = network.node('example.com')
    if (options.senderApiProcess) senderApi = await startApiProcess(sender.config, sender.apiPort)
    const net = network
    const api = senderApi
    return {
      network: net,
      dataRoot,
      sender,
      receiver: net.node('example.net'),
      senderApi: api,
      pids() {
        const out: Record<string, number> = { 'bench (client)': process.pid }
        for (const node of net.nodes.values())
          if (node.process) out[`gateway ${node.domain}`] = node.process.pid
        if (api) out['api example.com'] = api.pid
        return out
      },
      async close() {
        await api?.stop()
        await net.stop()
        await rm(dataRoot, { recursive: true, force: true })
      },
    }
  } catch (e) {
    await senderApi?.stop()
    await network?.stop()
    await rm(dataRoot, { recursive: true, force: true })
    throw e
  }
}

/** A typed tRPC client over HTTP, as the webmail and the CLI use it. */
export function trpcClient(apiUrl: string, token: string) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${apiUrl}/trpc`, headers: { authorization: `Bearer ${token}` } })],
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

/** Saves a draft and submits it (undo window 0: it leaves at once); returns its Message-ID header. */
export async function submitMail(
  client: ReturnType<typeof trpcClient>,
  mail: { to: string[]; subject: string; text: string; attachments?: UploadedResource[] },
): Promise<string> {
  const draft = await client.draft.save.mutate({
    to: mail.to.map((address) => ({ address })),
    cc: [],
    bcc: [],
    subject: mail.subject,
    text: mail.text,
    attachments: mail.attachments ?? [],
  })
  await client.send.submit.mutate({ draftId: draft.id })
  return draft.messageIdHeader
}

export type { DomainConfig }
