import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Db, openDatabase, walCheckpointerOf } from '../src/db.ts'
import { CHECKPOINT_EVERY_COMMITS, WalCheckpointer } from '../src/wal-checkpoint.ts'
import { testDialect } from './helpers.ts'

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 2))
  expect(cond()).toBe(true)
}

// wal-checkpoint.ts: the WAL is copied into the database on a worker thread, never inside a COMMIT.
describe.runIf(testDialect === 'sqlite')('SQLite: WAL checkpoints on a worker thread', () => {
  let dir: string
  let file: string
  let db: Db
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'fz-ckpt-'))
    file = path.join(dir, 'mail.sqlite')
    db = await openDatabase(file)
    await sql`CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)`.execute(db)
  })
  afterEach(async () => {
    await db.destroy()
    await rm(dir, { recursive: true, force: true })
  })
  const commits = async (n: number, from = 0) => {
    for (let i = from; i < from + n; i++)
      await db
        .transaction()
        .execute((trx) => sql`INSERT INTO t VALUES (${`k${i}`}, ${'x'.repeat(3000)})`.execute(trx))
  }

  it('the writer never checkpoints itself; the worker checkpoints every few commits and the WAL stays small', async () => {
    const [row] = (await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(db)).rows
    expect(row?.wal_autocheckpoint).toBe(0)
    const checkpointer = walCheckpointerOf(db)!
    await commits(2000)
    await until(() => checkpointer.checkpoints >= 2000 / CHECKPOINT_EVERY_COMMITS / 2)
    expect(checkpointer.last?.checkpointed).toBeGreaterThan(0)
    // 2,000 commits of a 3 KB row: some 19 MB of WAL had nothing checkpointed them (and restarted it).
    expect((await stat(`${file}-wal`)).size).toBeLessThan(4 * 1024 * 1024)
    const [count] = (await sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(db)).rows
    expect(count?.n).toBe(2000)
  })

  it('a worker that fails hands checkpoints back to SQLite', async () => {
    const failures: Error[] = []
    const broken = new WalCheckpointer(path.join(dir, 'no-such.sqlite'), (e) => failures.push(e), 2)
    broken.committed()
    expect(failures).toEqual([])
    // The second commit starts the worker, which cannot open the file.
    broken.committed()
    await until(() => failures.length === 1)
    expect(broken.failed).toBe(true)
    expect(failures[0]?.message).toMatch(/no-such\.sqlite failed: unable to open database file/)
    // Counting commits on a failed checkpointer does nothing, and closing it does not hang.
    broken.committed()
    await broken.close()
  })
})
