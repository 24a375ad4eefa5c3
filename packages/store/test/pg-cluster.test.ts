import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { startPostgres } from '../src/pg-cluster.ts'
import { testDialect } from './helpers.ts'

async function settings(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')`,
    )
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]))
  } finally {
    await client.end()
  }
}

// The demo and the benchmarks commit as production does; only the tests' own clusters trade it for speed.
describe.runIf(testDialect === 'postgres')('private PostgreSQL clusters', () => {
  it('a durable cluster fsyncs and commits synchronously; a test cluster does neither', {
    timeout: 60_000,
  }, async () => {
    const durable = await startPostgres({ durable: true })
    const fast = await startPostgres()
    try {
      expect(await settings(durable.url('postgres'))).toEqual({
        fsync: 'on',
        full_page_writes: 'on',
        synchronous_commit: 'on',
      })
      expect(await settings(fast.url('postgres'))).toEqual({
        fsync: 'off',
        full_page_writes: 'off',
        synchronous_commit: 'off',
      })
    } finally {
      await durable.stop()
      await fast.stop()
    }
  })
})
