import { describe, expect, it } from 'vitest'
import { withinBudget } from '../src/federation/chain.ts'

/** Issue 12 item 6: one request's discovery has a total time budget (unit of chain.ts). */
describe('withinBudget', () => {
  it('passes a result through, and turns a slow one into discovery_failed once the budget is spent', async () => {
    await expect(withinBudget(Promise.resolve(7), 1000)).resolves.toBe(7)
    const never = new Promise<number>(() => {})
    const started = Date.now()
    await expect(withinBudget(never, 50)).rejects.toMatchObject({ code: 'discovery_failed' })
    expect(Date.now() - started).toBeLessThan(5000)
  })
})
