import { describe, expect, it } from 'vitest'
import { linkify } from './linkify.ts'

describe('linkify', () => {
  it('links URLs and addresses, leaving punctuation outside', () => {
    expect(linkify('See https://example.net/a?b=1. Mail bob@example.net!')).toEqual([
      { kind: 'text', text: 'See ' },
      { kind: 'link', text: 'https://example.net/a?b=1', href: 'https://example.net/a?b=1' },
      { kind: 'text', text: '. Mail ' },
      { kind: 'link', text: 'bob@example.net', href: 'mailto:bob@example.net' },
      { kind: 'text', text: '!' },
    ])
  })

  it('never links javascript: or other schemes and keeps markup as text', () => {
    const tokens = linkify('javascript:alert(1) <b>x</b> ftp://x.y')
    expect(tokens).toEqual([{ kind: 'text', text: 'javascript:alert(1) <b>x</b> ftp://x.y' }])
  })
})

describe('identifiers are not addresses (issue 16 bug 11)', () => {
  it('leaves the Message-ID of a bounce as text, but links an address on another line', () => {
    const tokens = linkify('Subject: Hi\nMessage-ID: <b07d0cdf@example.com>\nWrite to postmaster@example.com')
    expect(tokens.filter((t) => t.kind === 'link').map((t) => t.text)).toEqual(['postmaster@example.com'])
    expect(tokens.map((t) => t.text).join('')).toContain('Message-ID: <b07d0cdf@example.com>')
  })
})
