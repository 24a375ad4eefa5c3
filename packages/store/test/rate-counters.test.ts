import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import { addRatePoints, deleteRateCounter, getRateCounter, pruneRateCounters } from '../src/rate-counters.ts'
import { tempDb } from './helpers.ts'

let db: Db
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ db, cleanup } = await tempDb())
})
afterEach(async () => cleanup())

describe('rate counters in the store (issue 12 item 4)', () => {
  it('add within a window, restart after it, force, delete, prune only the expired', async () => {
    const key = 'token-fail:192.0.2.1'
    expect(await addRatePoints(db, { key, points: 1, nowMs: 1000, durationMs: 60_000 })).toEqual({
      points: 1,
      expireMs: 61_000,
    })
    // Concurrent adds are each counted (one statement each: no lost update).
    await Promise.all(
      Array.from({ length: 20 }, () =>
        addRatePoints(db, { key, points: 1, nowMs: 2000, durationMs: 60_000 }),
      ),
    )
    expect(await getRateCounter(db, key, 2000)).toEqual({ points: 21, expireMs: 61_000 })
    // The window ended: the next add starts a new one.
    expect(await addRatePoints(db, { key, points: 2, nowMs: 61_000, durationMs: 60_000 })).toEqual({
      points: 2,
      expireMs: 121_000,
    })
    expect(await getRateCounter(db, key, 121_000)).toBeUndefined()
    expect(await addRatePoints(db, { key, points: 9, nowMs: 70_000, durationMs: 1000, force: true })).toEqual(
      {
        points: 9,
        expireMs: 71_000,
      },
    )
    await addRatePoints(db, { key: 'other', points: 1, nowMs: 70_000, durationMs: 600_000 })
    expect(await pruneRateCounters(db, 80_000)).toBe(1)
    expect(await getRateCounter(db, 'other', 80_000)).toEqual({ points: 1, expireMs: 670_000 })
    expect(await deleteRateCounter(db, 'other')).toBe(true)
    expect(await deleteRateCounter(db, 'other')).toBe(false)
  })
})
