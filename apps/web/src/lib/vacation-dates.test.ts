import { describe, expect, it } from 'vitest'
import { dateToEpoch, epochToDate } from './vacation-dates.ts'

describe('vacation dates', () => {
  it('round-trips a first day (midnight) and a last day (the end of that day)', () => {
    const start = dateToEpoch('2026-12-24')
    const end = dateToEpoch('2026-12-31', true)
    expect(start).not.toBeNull()
    expect((end as number) - (dateToEpoch('2026-12-31') as number)).toBe(24 * 3600)
    expect(epochToDate(start)).toBe('2026-12-24')
    expect(epochToDate(end, true)).toBe('2026-12-31')
  })

  it('treats an empty or malformed value as open-ended', () => {
    expect(dateToEpoch('')).toBeNull()
    expect(dateToEpoch('24/12/2026')).toBeNull()
    expect(epochToDate(null)).toBe('')
  })
})
