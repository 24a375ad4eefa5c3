import { describe, expect, it } from 'vitest'
import {
  formatAddress,
  formatAddressList,
  parseAddress,
  parseAddressList,
  recipientsByDomain,
} from '../src/message/index.ts'
import { expectThrowsCode } from './protocol-error.ts'

describe('addresses (RFC 5322 §3.4)', () => {
  it('parses bare, bracketed, named and quoted mailboxes', () => {
    expect(parseAddress('bob@example.net')).toEqual({ address: 'bob@example.net' })
    expect(parseAddress(' <bob@example.net> ')).toEqual({ address: 'bob@example.net' })
    expect(parseAddress('Bob  Smith <bob@example.net>')).toEqual({
      name: 'Bob Smith',
      address: 'bob@example.net',
    })
    expect(parseAddress('"Smith, Bob \\"B\\"" <bob@example.net>')).toEqual({
      name: 'Smith, Bob "B"',
      address: 'bob@example.net',
    })
    expect(parseAddress('Zoë <zoë@exämple.org>')).toEqual({ name: 'Zoë', address: 'zoë@exämple.org' })
  })

  it('splits lists on commas outside quotes and brackets', () => {
    expect(parseAddressList('"Doe, J" <j@x.org>, bob@example.net,Ann <a@b.c>')).toEqual([
      { name: 'Doe, J', address: 'j@x.org' },
      { address: 'bob@example.net' },
      { name: 'Ann', address: 'a@b.c' },
    ])
    expect(parseAddressList('  ')).toEqual([])
  })

  it('round-trips through formatAddress, quoting only when needed', () => {
    const cases = [
      { address: 'a@b.c' },
      { name: 'Alice', address: 'alice@example.com' },
      { name: 'Doe, John', address: 'j@x.org' },
      { name: 'say "hi" \\ bye', address: 'j@x.org' },
    ]
    for (const a of cases) expect(parseAddress(formatAddress(a))).toEqual(a)
    expect(formatAddress({ name: 'Doe, John', address: 'j@x.org' })).toBe('"Doe, John" <j@x.org>')
    expect(parseAddressList(formatAddressList(cases))).toEqual(cases)
  })

  it.each([
    ['', 'expected local@domain'],
    ['bob', 'expected local@domain'],
    ['bob@', 'expected local@domain'],
    ['@example.net', 'expected local@domain'],
    ['bob@@example.net', 'expected local@domain'],
    ['Bob <bob@example.net', 'expected local@domain'],
    ['Bob bob@example.net>', 'unbalanced'],
    ['Bob, Jr <bob@example.net>', 'must be quoted'],
    ['"Bob <bob@example.net>', 'unterminated'],
    ['Bob <bob@example..net>', 'is not local@domain'],
    ['Bob\r\nBcc: x@y.z <bob@example.net>', 'control characters'],
  ])('refuses %j', (input, why) => {
    expectThrowsCode(() => parseAddress(input), 'invalid_address', new RegExp(why))
  })

  it('refuses empty list elements and bad names on output', () => {
    expectThrowsCode(() => parseAddressList('a@b.c,,d@e.f'), 'invalid_address', /empty element/)
    expectThrowsCode(() => formatAddress({ name: 'x\ny', address: 'a@b.c' }), 'invalid_address')
    expectThrowsCode(() => formatAddress({ address: 'not an address' }), 'invalid_address')
  })
})

describe('recipientsByDomain', () => {
  it('groups by domain, lower-cased and de-duplicated, in first-seen order', () => {
    expect([
      ...recipientsByDomain(['Bob@Example.NET', 'carol@example.org', 'bob@example.net', 'dave@example.net']),
    ]).toEqual([
      ['example.net', ['bob@example.net', 'dave@example.net']],
      ['example.org', ['carol@example.org']],
    ])
  })
  it('refuses an address without a domain', () => {
    expectThrowsCode(() => recipientsByDomain(['nobody']), 'invalid_address')
  })
})
