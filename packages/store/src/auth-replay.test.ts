import type { KyselyPlugin } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDb } from '../test/helpers.ts'
import { createReplayStore } from './auth-replay.ts'
import type { Db } from './db.ts'

let db: Db
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ db, cleanup } = await tempDb())
})
afterEach(async () => cleanup())

/** The database with every statement counted (the plugin sees each query kysely sends). */
function counted(): { db: Db; statements: () => number } {
  let n = 0
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      n++
      return args.node
    },
    transformResult: async (args) => args.result,
  }
  return { db: db.withPlugin(plugin), statements: () => n }
}

describe('replay store (RFC 9449 §11.1, RFC 7523 §3)', () => {
  it('accepts a key once until it expires', async () => {
    let now = 10
    const store = createReplayStore(db, () => now)
    expect(await store.seen('dpop:abc', 20)).toBe(false)
    expect(await store.seen('dpop:abc', 20)).toBe(true)
    now = 21
    expect(await store.seen('dpop:abc', 40)).toBe(false)
    expect(await store.seen('dpop:abc', 40)).toBe(true)
  })

  it('writes the claims of one event-loop turn with one statement', async () => {
    const c = counted()
    const store = createReplayStore(c.db, () => 10)
    const keys = Array.from({ length: 20 }, (_, i) => `dpop:k${i}`)
    expect(await Promise.all(keys.map((k) => store.seen(k, 100)))).toEqual(keys.map(() => false))
    expect(c.statements()).toBe(1)
    expect(await Promise.all(keys.map((k) => store.seen(k, 100)))).toEqual(keys.map(() => true))
    expect(c.statements()).toBe(2)
  })

  it('refuses a replay inside the same batch, and one recorded before it', async () => {
    let now = 10
    const store = createReplayStore(db, () => now)
    expect(await store.seen('old', 30)).toBe(false)
    expect(await store.seen('expired', 15)).toBe(false)
    now = 20
    const answers = await Promise.all([
      store.seen('new', 50),
      store.seen('new', 50),
      store.seen('old', 50),
      store.seen('expired', 50),
      store.seen('expired', 50),
      store.seen('other', 50),
    ])
    expect(answers).toEqual([false, true, true, false, true, false])
    // The expired record taken over carries the new expiry: a replay before it is still refused.
    now = 40
    expect(await store.seen('expired', 60)).toBe(true)
  })

  it('two stores on one database (two replicas) cannot both accept a key', async () => {
    const a = createReplayStore(db, () => 10)
    const b = createReplayStore(db, () => 10)
    const answers = await Promise.all([a.seen('k', 50), b.seen('k', 50), a.seen('j', 50), b.seen('j', 50)])
    expect(answers.filter((seen) => !seen)).toHaveLength(2)
    expect([answers[0], answers[1]].sort()).toEqual([false, true])
  })

  it('rejects every claim of a batch whose write failed (none is left waiting or taken as fresh)', async () => {
    const store = createReplayStore(db, () => 10)
    await db.schema.dropTable('replay_cache').execute()
    const claims = [store.seen('x', 50), store.seen('y', 50)]
    for (const claim of claims) await expect(claim).rejects.toThrow()
  })
})
