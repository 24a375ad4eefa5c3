import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Network, type NetworkDomain, type StartNetworkOptions, startNetwork } from '@federizer/devnet'
import type { Db } from '@federizer/store'

export const PASSWORD = 'correct horse battery staple'

/** The seed's three domains with alice, bob and bobby. */
export function threeDomains(
  overrides: Partial<Record<string, Partial<NetworkDomain>>> = {},
): NetworkDomain[] {
  return [
    {
      domain: 'example.com',
      users: [
        { email: 'alice@example.com', password: PASSWORD, name: 'Alice' },
        { email: 'carol@example.com', password: PASSWORD },
      ],
      ...overrides['example.com'],
    },
    {
      domain: 'example.net',
      users: [
        { email: 'bob@example.net', password: PASSWORD, name: 'Bob' },
        { email: 'dave@example.net', password: PASSWORD },
      ],
      ...overrides['example.net'],
    },
    {
      domain: 'example.org',
      users: [{ email: 'bobby@example.org', password: PASSWORD, name: 'Bobby' }],
      ...overrides['example.org'],
    },
  ]
}

/** A network in a fresh temp folder; `close` stops it and removes the folder. */
export async function openNetwork(options: Omit<StartNetworkOptions, 'dataRoot'> & { dataRoot?: string }) {
  const dataRoot = options.dataRoot ?? (await mkdtemp(path.join(tmpdir(), 'fz-fed-')))
  const network = await startNetwork({
    queueTimeScale: 0.001,
    gatewayOptions: { pollIntervalMs: 50 },
    ...options,
    dataRoot,
  })
  return {
    network,
    dataRoot,
    async close() {
      await network.stop()
      await rm(dataRoot, { recursive: true, force: true })
    },
  }
}

/** Polls `probe` until it returns a truthy value (never a fixed sleep as an assertion). */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await probe()
      if (v) return v
    } catch (e) {
      last = e
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`)
}

export function db(network: Network, domain: string): Db {
  const gw = network.node(domain).gateway
  if (!gw) throw new Error(`${domain} is stopped`)
  return gw.ctx.db
}

/** Message rows of an account in a mailbox role. */
export async function messagesIn(database: Db, account: string, role: string) {
  return database
    .selectFrom('messages')
    .innerJoin('mailboxes', 'mailboxes.id', 'messages.mailbox_id')
    .selectAll('messages')
    .where('messages.account', '=', account)
    .where('mailboxes.role', '=', role as never)
    .execute()
}

export async function deliveryStatus(database: Db, messageRowId: string) {
  return database
    .selectFrom('delivery_status')
    .selectAll()
    .where('message_row_id', '=', messageRowId)
    .execute()
}

export { testBytes } from '@federizer/devnet'
