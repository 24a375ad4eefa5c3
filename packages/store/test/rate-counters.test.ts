import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import {
  addRatePoints,
  chargeBudgets,
  deleteRateCounter,
  getRateCounter,
  pruneRateCounters,
} from '../src/rate-counters.ts'
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

describe('chargeBudgets: the budgets of one delivery in one transaction', () => {
  const hour = 3_600_000
  const charges = (bytes: number) => [
    { key: 'peer-req:a.example', points: 1, max: 3, durationMs: hour },
    { key: 'peer-bytes:a.example', points: bytes, max: 1000, durationMs: hour, giveBackIfOver: true },
  ]
  it('charges every budget while each fits; the first over stops, and bytes over are given back', async () => {
    expect(await chargeBudgets(db, charges(600), 1000)).toEqual({ ok: true })
    // 600 + 600 > 1000: refused at the bytes budget, whose points are given back; the request counts.
    expect(await chargeBudgets(db, charges(600), 2000)).toEqual({
      ok: false,
      index: 1,
      counter: { points: 1200, expireMs: 1000 + hour },
    })
    expect(await getRateCounter(db, 'peer-bytes:a.example', 2000)).toEqual({
      points: 600,
      expireMs: 1000 + hour,
    })
    expect(await getRateCounter(db, 'peer-req:a.example', 2000)).toEqual({ points: 2, expireMs: 1000 + hour })
    // A smaller message still fits.
    expect(await chargeBudgets(db, charges(300), 3000)).toEqual({ ok: true })
    // The fourth request is over the request budget: the bytes budget is not touched.
    const over = await chargeBudgets(db, charges(1), 4000)
    expect(over).toMatchObject({ ok: false, index: 0, counter: { points: 4 } })
    expect(await getRateCounter(db, 'peer-bytes:a.example', 4000)).toEqual({
      points: 900,
      expireMs: 1000 + hour,
    })
  })
})
