import { describe, expect, it } from 'vitest'
import { parseRange } from '../src/http/range.ts'

describe('parseRange (RFC 9110 §14)', () => {
  it.each([
    [undefined, 10, undefined],
    ['bytes=0-4', 10, { start: 0, end: 4 }],
    ['bytes=5-', 10, { start: 5, end: 9 }],
    ['bytes=8-100', 10, { start: 8, end: 9 }],
    ['bytes=-3', 10, { start: 7, end: 9 }],
    ['bytes=-30', 10, { start: 0, end: 9 }],
    ['bytes=10-', 10, 'unsatisfiable'],
    ['bytes=-0', 10, 'unsatisfiable'],
    ['bytes=5-2', 10, undefined],
    ['bytes=0-1,4-5', 10, undefined],
    ['items=0-1', 10, undefined],
    ['bytes=x-y', 10, 'unsatisfiable'],
    ['bytes=0-0', 0, 'unsatisfiable'],
  ])('%s of %d bytes → %j', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected)
  })
})
