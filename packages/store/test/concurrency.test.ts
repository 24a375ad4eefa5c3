import { execFile } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import { insertMessage } from '../src/messages.ts'
import { getSyncState } from '../src/sync.ts'
import { placeholder, tempDb } from './helpers.ts'

const run = promisify(execFile)
const here = path.dirname(fileURLToPath(import.meta.url))
let db: Db
let location: string
let cleanup: () => Promise<void>
const account = 'alice@example.com'

beforeEach(async () => {
  ;({ db, location, cleanup } = await tempDb())
})
afterEach(async () => cleanup())

const insert = (target: Db, tag: string, i: number) =>
  insertMessage(target, {
    account,
    mailboxRole: 'inbox',
    placeholder: placeholder({
      from: 'x@y.net',
      to: [account],
      subject: `${tag}${i}`,
      messageId: `<${tag}${i}@y>`,
    }),
  })

describe('concurrent writers', () => {
  it('another process (the gateway) writing the same account: no SQLITE_BUSY, one modseq each', async () => {
    const child = run(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'fixtures/insert-many.ts'), location, 'g', '150'],
      {
        cwd: path.join(here, '..'),
      },
    )
    // Start once the child is writing, so the two really overlap.
    for (let i = 0; i < 500; i++) {
      const row = await db.selectFrom('messages').select('id').limit(1).executeTakeFirst()
      if (row) break
      await new Promise((r) => setTimeout(r, 10))
    }
    for (let i = 0; i < 150; i++) await insert(db, 'a', i)
    await child
    const rows = await db.selectFrom('messages').select(['modseq', 'seq']).execute()
    expect(rows).toHaveLength(300)
    expect(new Set(rows.map((r) => r.seq)).size).toBe(300)
    expect(new Set(rows.map((r) => r.modseq)).size).toBe(300)
    expect(Number(await getSyncState(db, account))).toBeGreaterThanOrEqual(300)
  }, 60_000)
})
