/**
 * Issue 12 item 9: a message is acknowledged (delivery 2xx, send, SMTP 250) only after its commit is on
 * disk. Every connection that accepts mail runs WAL with synchronous = FULL (docs/operations.md,
 * "Durability"), so the commit before the answer is fsynced.
 */
import { testStoreIsPostgres } from '@federizer/devnet'
import type { Db } from '@federizer/store'
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
  "the gateway's and the api's connections commit with synchronous = FULL in WAL mode",
  async () => {
    const node = net.network.node('example.com')
    // 2 = FULL (https://sqlite.org/pragma.html#pragma_synchronous); NORMAL (1) could lose acknowledged mail.
    expect(await pragmas(node.gateway!.ctx.db)).toEqual({ synchronous: 2, journal: 'wal' })
    expect(await pragmas(node.api!.ctx.db)).toEqual({ synchronous: 2, journal: 'wal' })
  },
)
