import { describe, expect, it } from 'vitest'
import { formatFullDate, formatListDate, formatSize, initials, prefixSubject } from './format.ts'

describe('formatters', () => {
  it('formats sizes', () => {
    expect(formatSize(42)).toBe('42 B')
    expect(formatSize(1536)).toBe('1.5 KB')
    expect(formatSize(3520247)).toBe('3.4 MB')
    expect(formatSize(-1)).toBe('?')
  })

  it('shows the time for today and the date otherwise', () => {
    const now = new Date(2026, 10, 25, 12, 0)
    expect(formatListDate(new Date(2026, 10, 25, 9, 5), now, 'en-GB')).toBe('9:05')
    expect(formatListDate(new Date(2026, 10, 25, 9, 5), now, 'en-US')).toBe('9:05 AM')
    expect(formatListDate(new Date(2026, 0, 3), now, 'en-GB')).toBe('3 Jan')
    expect(formatListDate(new Date(2024, 0, 3), now, 'en-GB')).toBe('3 Jan 2024')
    expect(formatListDate(new Date(Number.NaN), now)).toBe('')
  })

  it('derives initials', () => {
    expect(initials('Alice Liddell')).toBe('AL')
    expect(initials('bob@example.net')).toBe('B')
    expect(initials('')).toBe('?')
  })

  it('does not stack subject prefixes', () => {
    expect(prefixSubject('Re', 'Vacation photo')).toBe('Re: Vacation photo')
    expect(prefixSubject('Re', 'RE: Vacation photo')).toBe('RE: Vacation photo')
    expect(prefixSubject('Fwd', 'Fw: x')).toBe('Fw: x')
    expect(prefixSubject('Fwd', 'Re: x')).toBe('Fwd: Re: x')
  })
})

describe('one date format (issue 16 bug 11)', () => {
  it('the reader, quotes and the list share the date and time styles', () => {
    const d = new Date(2026, 11, 2, 21, 32)
    expect(formatFullDate(d, 'en-US')).toBe('Dec 2, 2026, 9:32 PM')
    expect(formatListDate(d, new Date(2026, 11, 2, 23, 0), 'en-US')).toBe('9:32 PM')
    expect(formatListDate(d, new Date(2027, 0, 5), 'en-US')).toBe('Dec 2, 2026')
  })
})
