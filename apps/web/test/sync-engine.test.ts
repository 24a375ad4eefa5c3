import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Network, sendMail, startNetwork } from '@federizer/devnet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiClient } from '../src/api/trpc-client.ts'
import { createTrpcMailApi } from '../src/api/trpc-mail-api.ts'
import type { MessageSummary } from '../src/api/types.ts'
import { loadSnapshot } from '../src/lib/offline-cache.ts'
import { memoryStorage } from '../src/lib/offline-queue.ts'
import { mailboxView } from '../src/lib/sync-merge.ts'
import { createMailStore, type MailStore } from '../src/state/mail-store.ts'
import { createSyncEngine, type SyncEngine } from '../src/state/sync-engine.ts'

// The webmail's sync engine and tRPC adapter in Node, against a real node (DNS, gateway, api, SQLite).

let network: Network
let dataRoot: string
const ALICE = 'alice@example.com'

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-web-sync-'))
  network = await startNetwork({
    dataRoot,
    domains: [
      {
        domain: 'example.com',
        users: [
          { email: ALICE, password: 'alice-password-1' },
          { email: 'carol@example.com', password: 'carol-password-1' },
        ],
      },
    ],
  })
}, 60_000)

afterAll(async () => {
  await network?.stop()
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true })
})

function engineFor(store: MailStore, storage = memoryStorage()): SyncEngine {
  const node = network.node('example.com')
  const token = () => node.accessToken(ALICE)
  const api = createTrpcMailApi(createApiClient(node.apiUrl, token), {
    apiUrl: node.apiUrl,
    accessToken: token,
  })
  return createSyncEngine({ api, store, account: ALICE, storage, intervalMs: 60_000 })
}

const inbox = (store: MailStore): MessageSummary[] => {
  const s = store.get()
  const id = s.mailboxes.find((m) => m.role === 'inbox')?.id
  return id
    ? mailboxView(
        s.cache,
        id,
        s.pending.map((p) => p.change),
      )
    : []
}

describe('sync engine against a real api', () => {
  it('loads the mailboxes, then pulls new mail through sync.changes', async () => {
    const store = createMailStore()
    const engine = engineFor(store)
    await engine.syncNow()
    expect(store.get().mailboxes.map((m) => m.role)).toEqual(
      expect.arrayContaining(['inbox', 'sent', 'drafts', 'trash']),
    )
    const before = store.get().cache.state
    expect(before).not.toBeNull()

    await sendMail(network.node('example.com'), {
      from: 'carol@example.com',
      to: [ALICE],
      subject: 'First',
      text: 'one',
    })
    await expect
      .poll(
        async () => {
          await engine.syncNow()
          return inbox(store).map((m) => m.subject)
        },
        { timeout: 20_000 },
      )
      .toContain('First')
    expect(store.get().cache.state).not.toBe(before)
    expect(store.get().announcement).toMatch(/First/)
    expect(store.get().mailboxes.find((m) => m.role === 'inbox')?.unread).toBeGreaterThan(0)
    engine.stop()
  })

  it('applies actions on the server and queues them while the api is down, then replays in order', async () => {
    const store = createMailStore()
    const storage = memoryStorage()
    const engine = engineFor(store, storage)
    await engine.syncNow()
    const first = inbox(store).find((m) => m.subject === 'First')
    expect(first).toBeDefined()
    const id = first?.id as string

    await engine.act({ kind: 'setKeywords', ids: [id], add: ['$flagged'] }, 'star')
    expect(store.get().cache.messages.get(id)?.keywords).toContain('$flagged')
    expect(store.get().pending).toEqual([])

    const node = network.node('example.com')
    await node.stop()
    try {
      await engine.act({ kind: 'setKeywords', ids: [id], add: ['$seen'] }, 'mark as read')
      expect(store.get().online).toBe(false)
      expect(store.get().pending.map((p) => p.key.startsWith('q:'))).toEqual([true])
      // The optimistic view already shows it read.
      expect(inbox(store).find((m) => m.id === id)?.keywords).toContain('$seen')
      // A second engine (a reload) still knows the queued action.
      const reloaded = createMailStore()
      engineFor(reloaded, storage)
      expect(reloaded.get().pending).toHaveLength(1)
    } finally {
      await node.start()
    }
    await engine.syncNow()
    expect(store.get().online).toBe(true)
    expect(store.get().pending).toEqual([])
    const fresh = createMailStore()
    const check = engineFor(fresh)
    await check.syncNow()
    expect(fresh.get().cache.messages.get(id)?.keywords).toEqual(
      expect.arrayContaining(['$seen', '$flagged']),
    )
    check.stop()
    engine.stop()
  })

  it('starts from the offline snapshot and resumes sync from its state', async () => {
    const storage = memoryStorage()
    const store = createMailStore()
    const engine = engineFor(store, storage)
    await engine.syncNow()
    // Stopping flushes the debounced offline copy.
    engine.stop()
    const snapshot = loadSnapshot(storage, ALICE)
    expect(snapshot?.summaries.some((m) => m.subject === 'First')).toBe(true)

    await sendMail(network.node('example.com'), {
      from: 'carol@example.com',
      to: [ALICE],
      subject: 'Second',
      text: 'two',
    })
    const again = createMailStore()
    const resumed = engineFor(again, storage)
    expect(inbox(again).map((m) => m.subject)).toContain('First')
    await expect
      .poll(
        async () => {
          await resumed.syncNow()
          return inbox(again).map((m) => m.subject)
        },
        { timeout: 20_000 },
      )
      .toEqual(expect.arrayContaining(['First', 'Second']))
    resumed.stop()
  })

  it('recovers from a state the server does not know by reloading', async () => {
    const storage = memoryStorage()
    storage.setItem(
      `fz:offline:${ALICE}`,
      JSON.stringify({ state: '999999', mailboxes: [], summaries: [], savedAt: 1 }),
    )
    const store = createMailStore()
    const engine = engineFor(store, storage)
    await engine.syncNow()
    expect(store.get().syncError).toBeUndefined()
    expect(inbox(store).map((m) => m.subject)).toEqual(expect.arrayContaining(['First', 'Second']))
    engine.stop()
  })
})
