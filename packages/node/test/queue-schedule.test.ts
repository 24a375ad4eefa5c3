import { describe, expect, it } from 'vitest'
import { baseRetryDelay, queueSchedule, retryDelaySeconds, scaled } from '../src/queue-schedule.ts'

describe('retry schedule', () => {
  it('is about 1m, 5m, 15m, 30m, 1h, 2h, then every 4h, jittered ±20 % and scaled', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(baseRetryDelay)).toEqual([
      60, 300, 900, 1800, 3600, 7200, 14400, 14400,
    ])
    expect(retryDelaySeconds(1, 1, () => 0)).toBe(48)
    expect(retryDelaySeconds(1, 1, () => 1)).toBe(72)
    expect(retryDelaySeconds(7, 1, () => 0.5)).toBe(14400)
    expect(retryDelaySeconds(7, 0.01, () => 0.5)).toBe(144)
    expect(retryDelaySeconds(1, 0.0001, () => 0.5)).toBe(1) // never a busy loop
    expect(scaled(5 * 86400, 0.001)).toBe(432)
  })

  it('is scaled once: every duration of the schedule follows queueTimeScale', () => {
    const real = queueSchedule(1)
    expect(real).toMatchObject({
      lifetimeSeconds: 5 * 86400,
      delayNoticeAfterSeconds: 4 * 3600,
      leaseSeconds: 60,
      discoveryFailureSeconds: 30,
    })
    expect(real.retryDelaySeconds(2, () => 0.5)).toBe(300)
    const fast = queueSchedule(0.001)
    expect(fast).toMatchObject({
      lifetimeSeconds: 432,
      delayNoticeAfterSeconds: 15,
      leaseSeconds: 2,
      discoveryFailureSeconds: 1,
    })
    expect(fast.retryDelaySeconds(7, () => 0.5)).toBe(14)
    // A slower clock never lengthens how long a failed discovery is remembered.
    expect(queueSchedule(10).discoveryFailureSeconds).toBe(30)
  })
})
