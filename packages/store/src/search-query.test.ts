import { describe, expect, it } from 'vitest'
import { highlightTerms, isEmptyQuery, parseDay, parseSearchQuery, tokenize } from './search-query.ts'

describe('parseSearchQuery', () => {
  it('splits operators from free words, keeping quoted phrases', () => {
    const q = parseSearchQuery('from:Bobby subject:"quarterly report" budget to:alice@example.org')
    expect(q).toMatchObject({
      words: ['budget'],
      from: ['bobby'],
      to: ['alice@example.org'],
      subject: ['quarterly report'],
      unknown: [],
    })
  })

  it('understands has:, is:, in:, before: and after:', () => {
    const q = parseSearchQuery(
      'has:attachment is:unread is:starred in:Archive before:2026-12-02 after:2026/11/01',
    )
    expect(q).toMatchObject({
      words: [],
      hasAttachment: true,
      unread: true,
      starred: true,
      folder: 'Archive',
      before: Date.UTC(2026, 11, 2) / 1000,
      after: Date.UTC(2026, 10, 1) / 1000,
    })
    expect(parseSearchQuery('is:read').unread).toBe(false)
    expect(parseSearchQuery('IN:"Old projects"').folder).toBe('Old projects')
  })

  it('lists what it cannot understand, and keeps unknown prefixes as words', () => {
    const q = parseSearchQuery('is:pinned has:wings before:yesterday http://x.example 10:30')
    expect(q.unknown).toEqual(['is:pinned', 'has:wings', 'before:yesterday', 'http://x.example'])
    expect(q.words).toEqual(['http://x.example', '10:30'])
    expect(q.before).toBeUndefined()
  })

  it('an empty box or a lone unknown operator asks for nothing', () => {
    expect(isEmptyQuery(parseSearchQuery('   '))).toBe(true)
    expect(isEmptyQuery(parseSearchQuery('is:pinned'))).toBe(true)
    expect(isEmptyQuery(parseSearchQuery('is:unread'))).toBe(false)
  })

  it('an operator with nothing after the colon is a word', () => {
    expect(parseSearchQuery('from:').words).toEqual(['from:'])
  })
})

describe('parseDay', () => {
  it('accepts real days only', () => {
    expect(parseDay('2026-02-28')).toBe(Date.UTC(2026, 1, 28) / 1000)
    expect(parseDay('2026-12')).toBe(Date.UTC(2026, 11, 1) / 1000)
    expect(parseDay('2026-02-30')).toBeUndefined()
    expect(parseDay('2026-13-01')).toBeUndefined()
    expect(parseDay('tomorrow')).toBeUndefined()
  })
})

describe('tokenize and highlightTerms', () => {
  it('keeps an unterminated quote as one token', () => {
    expect(tokenize('subject:"open ended')).toEqual(['subject:open ended'])
  })
  it('highlights words, subject and sender terms, longest first', () => {
    expect(highlightTerms(parseSearchQuery('lunch from:bob subject:"friday plans" is:unread'))).toEqual([
      'friday',
      'lunch',
      'plans',
      'bob',
    ])
  })
})
