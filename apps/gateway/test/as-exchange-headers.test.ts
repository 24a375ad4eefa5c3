import { describe, expect, it } from 'vitest'
import { parseSignedHeaders, SEND_HEADERS } from '../src/as/exchange-headers.ts'

const DIGEST = `<${'A'.repeat(43)}>`
const base: [string, string][] = [
  ['Message-ID', '<1@example.com>'],
  ['From', 'alice@example.com'],
  ['Recipients-Digest', DIGEST],
  ['Body-Digest', DIGEST],
]
const parse = (extra: [string, string][]) =>
  parseSignedHeaders(JSON.stringify([...base, ...extra]), SEND_HEADERS)

describe('headers a send exchange may sign (docs/protocol.md §4)', () => {
  it('accepts an empty Subject: legal mail (RFC 5322 §3.6.5 unstructured)', () => {
    const signed = parse([['Subject', '']])
    expect(signed.ehl).toContain('Subject')
    expect(signed.get('Subject')).toBe('')
  })

  it('still refuses an empty From, Message-ID or Date, and line breaks in a Subject', () => {
    for (const name of ['From', 'Message-ID']) {
      const headers = base.map(([n, v]) => [n, n === name ? '' : v])
      expect(() => parseSignedHeaders(JSON.stringify(headers), SEND_HEADERS)).toThrow(
        new RegExp(`header "${name}" must be 1 to 4096 characters`),
      )
    }
    expect(() => parse([['Date', '']])).toThrow(/header "Date" must be 1 to/)
    expect(() => parse([['Subject', 'a\r\nBcc: x@example.net']])).toThrow(/"Subject" must be 0 to 4096/)
  })

  it('takes To and Cc only blinded, never a recipient address, and never a Bcc (issue 12 item 8)', () => {
    expect(
      parse([
        ['To', DIGEST],
        ['Cc', DIGEST],
      ]).ehl,
    ).toEqual(['Message-ID', 'From', 'Recipients-Digest', 'Body-Digest', 'To', 'Cc'])
    for (const name of ['To', 'Cc']) {
      expect(() => parse([[name, 'Bob <bob@example.net>']])).toThrow(
        new RegExp(`header "${name}" must be sent blinded .*never given recipient addresses`),
      )
    }
    expect(() => parse([['Bcc', DIGEST]])).toThrow(/header "Bcc" may not be signed in this exchange/)
  })
})
