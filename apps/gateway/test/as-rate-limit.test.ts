import { describe, expect, it } from 'vitest'
import { SlidingWindowLimiter } from '../src/as/rate-limit.ts'

describe('sliding-window rate limiter', () => {
  const limit = { max: 3, windowSeconds: 60 }

  it('allows max events per window, then answers the seconds to wait', () => {
    const l = new SlidingWindowLimiter()
    expect([l.hit('k', limit, 600), l.hit('k', limit, 601), l.hit('k', limit, 602)]).toEqual([0, 0, 0])
    expect(l.hit('k', limit, 610)).toBe(50)
    expect(l.check('k', limit, 610)).toBe(50)
    // Another key is not affected.
    expect(l.hit('other', limit, 610)).toBe(0)
  })

  it('weighs the previous window by its overlap with the sliding one', () => {
    const l = new SlidingWindowLimiter()
    for (const t of [600, 601, 602]) l.hit('k', limit, t)
    // At the start of the next window the previous 3 still count fully: refused.
    expect(l.hit('k', limit, 660)).toBeGreaterThan(0)
    // Halfway through, they count 1.5: one more event fits (2.5 ≤ 3), a second does not (3.5 > 3).
    expect(l.hit('k', limit, 690)).toBe(0)
    expect(l.hit('k', limit, 690)).toBeGreaterThan(0)
    // Two windows later everything has left the sliding window.
    expect([l.hit('k', limit, 780), l.hit('k', limit, 780), l.hit('k', limit, 780)]).toEqual([0, 0, 0])
  })

  it('reset forgets a key; memory stays bounded by maxKeys', () => {
    const l = new SlidingWindowLimiter(2)
    for (const t of [600, 601, 602]) l.hit('k', limit, t)
    l.reset('k')
    expect(l.hit('k', limit, 603)).toBe(0)
    l.hit('a', { max: 1, windowSeconds: 60 }, 603)
    l.hit('b', { max: 1, windowSeconds: 60 }, 603)
    // 'k' was the oldest key and is evicted, so its count starts again.
    expect(l.hit('k', { max: 1, windowSeconds: 60 }, 604)).toBe(0)
  })
})
