import { describe, expect, it } from 'vitest'
import { formatChip, isValidAddress, mergeChips, parseChip, parseChipInput } from './address-chips.ts'

describe('address chips', () => {
  it('parses bare, named and quoted addresses', () => {
    expect(parseChip('bob@example.net')).toEqual({ address: 'bob@example.net' })
    expect(parseChip('Bob <bob@example.net>')).toEqual({ name: 'Bob', address: 'bob@example.net' })
    expect(parseChip('"Doe, Jane" <jane@example.org>')).toEqual({
      name: 'Doe, Jane',
      address: 'jane@example.org',
    })
  })

  it.each([
    'bob',
    'bob@',
    '@example.net',
    'bob@@example.net',
    'a..b@example.net',
    'Bob <not an address>',
    'b ob@x.y',
  ])('rejects %s', (token) => {
    expect(parseChip(token)).toBeUndefined()
  })

  it('splits pasted lists on commas, semicolons and newlines but not inside quotes', () => {
    const parsed = parseChipInput(
      '"Doe, Jane" <jane@example.org>, bob@example.net;\nnope, carol@example.com',
      true,
    )
    expect(parsed.chips.map((c) => c.address)).toEqual([
      'jane@example.org',
      'bob@example.net',
      'carol@example.com',
    ])
    expect(parsed.invalid).toEqual(['nope'])
    expect(parsed.rest).toBe('')
  })

  it('keeps the unfinished token for autocomplete until committed', () => {
    expect(parseChipInput('bob@example.net, ali')).toEqual({
      chips: [{ address: 'bob@example.net' }],
      invalid: [],
      rest: 'ali',
    })
    expect(parseChipInput('alice@example.com', true).chips).toEqual([{ address: 'alice@example.com' }])
    expect(parseChipInput('alice', true).invalid).toEqual(['alice'])
  })

  it('does not add the same address twice', () => {
    const merged = mergeChips(
      [{ address: 'Bob@Example.net' }],
      [{ address: 'bob@example.net' }, { address: 'c@d.e' }],
    )
    expect(merged).toEqual([{ address: 'Bob@Example.net' }, { address: 'c@d.e' }])
  })

  it('formats names that need quoting', () => {
    expect(formatChip({ name: 'Doe, Jane', address: 'j@x.y' })).toBe('"Doe, Jane" <j@x.y>')
    expect(formatChip({ name: 'Bob', address: 'b@x.y' })).toBe('Bob <b@x.y>')
    expect(isValidAddress(`${'a'.repeat(250)}@x.yz`)).toBe(false)
  })
})
