import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { getAutoForward, openDatabase, setAutoForward } from '@federizer/store'
import { afterAll, describe, expect, it } from 'vitest'
import { DEMO_USERS, seedDemoUser } from '../src/demo.ts'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

describe('demo seeding (issue 16 bug 2)', () => {
  it('a restart does not turn a user’s auto-forward back on: seeded settings apply only on creation', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fz-demo-seed-'))
    dirs.push(dir)
    const file = path.join(dir, 'mail.sqlite')
    const bob = DEMO_USERS.find((u) => u.email === 'bob@example.net')!
    let db = await openDatabase(file)
    expect(await seedDemoUser(db, bob)).toBe(true)
    expect(await getAutoForward(db, bob.email)).toEqual(['bobby@example.org'])
    // Bob turns forwarding off in the webmail.
    await setAutoForward(db, bob.email, null)
    await db.destroy()
    // The demo starts again on the same data.
    db = await openDatabase(file)
    try {
      expect(await seedDemoUser(db, bob)).toBe(false)
      expect(await getAutoForward(db, bob.email)).toBeNull()
    } finally {
      await db.destroy()
    }
  })
})
