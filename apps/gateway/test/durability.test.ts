/**
 * Issue 12 item 9: a message is acknowledged (delivery 2xx, send, SMTP 250) only after its commit is on
 * disk. Every connection that accepts mail runs WAL and waits, after each commit, for an fsync of the
 * WAL (synchronous = NORMAL with the store's own fsync off the event loop; docs/operations.md,
 * "Durability"), so the commit before the answer is on disk.
 */
import { testStoreIsPostgres } from '@federizer/devnet'
import { type Db, walSyncsOf } from '@federizer/store'
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openNetwork, threeDomains } from './federation-helpers.ts'

let net: Awaited<ReturnType<typeof openNetwork>>
beforeAll(async () => {
  net = await openNetwork({ domains: threeDomains().slice(0, 1) })
}, 60_000)
afterAll(async () => {
  await net?.close()
})

async function pragmas(db: Db) {
  const sync = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db)
  const journal = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(db)
  return { synchronous: sync.rows[0]?.synchronous, journal: journal.rows[0]?.journal_mode }
}

// SQLite's own settings; on PostgreSQL (`npm run test:pg`) durability is the server's (synchronous_commit,
// fsync: on by default; the private test cluster turns them off for speed), docs/operations.md.
it.skipIf(testStoreIsPostgres())(
  "the gateway's and the api's connections run WAL and fsync it after their commits",
  async () => {
    const node = net.network.node('example.com')
    // 1 = NORMAL (https://sqlite.org/pragma.html#pragma_synchronous): SQLite writes the WAL without syncing
    // it; the store's driver syncs it before the caller goes on (wal-sync.ts). Without those syncs NORMAL
    // could lose acknowledged mail.
    for (const db of [node.gateway!.ctx.db, node.api!.ctx.db]) {
      expect(await pragmas(db)).toEqual({ synchronous: 1, journal: 'wal' })
      const before = walSyncsOf(db)
      expect(before).toBeTypeOf('number')
      await sql`INSERT INTO replay_cache (key, expires_at) VALUES (${`durability ${before}`}, 1)`.execute(db)
      expect(walSyncsOf(db)).toBeGreaterThan(before!)
    }
  },
)
