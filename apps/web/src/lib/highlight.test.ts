import { describe, expect, it } from 'vitest'
import { highlightParts, searchTerms } from './highlight.ts'

describe('search highlights (issue 16)', () => {
  it('marks the free words, quoted phrases and the values of from:/to:/subject:, not other filters', () => {
    expect(
      searchTerms('report from:bobby has:attachment is:unread "next week" -spam before:2026-12-01'),
    ).toEqual(['report', 'bobby', 'next week'])
    expect(searchTerms('subject:Lunch in:Receipts')).toEqual(['lunch'])
    expect(searchTerms('has:attachment')).toEqual([])
  })

  it('cuts text into marked parts, case-insensitively, longest term first', () => {
    expect(highlightParts('Quarterly Report and reports', ['report'])).toEqual([
      { text: 'Quarterly ', match: false },
      { text: 'Report', match: true },
      { text: ' and ', match: false },
      { text: 'report', match: true },
      { text: 's', match: false },
    ])
    expect(
      highlightParts('a+b (c)', ['a+b', '(c)'])
        .filter((p) => p.match)
        .map((p) => p.text),
    ).toEqual(['a+b', '(c)'])
    expect(highlightParts('nothing', [])).toEqual([{ text: 'nothing', match: false }])
  })
})
