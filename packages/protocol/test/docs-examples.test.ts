import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  bodyDigest,
  canonicalRecipients,
  digest,
  ehHeaders,
  ehThumbprint,
  jcs,
  jwtAssertionDigest,
  recipientsDigest,
} from '../src/digest/index.ts'
import { buildDraft, type Header } from '../src/message/index.ts'

/** The worked examples of docs/protocol.md §2, recomputed: the page must not drift from the code. */
const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8')
const inDoc = (s: string) => expect(doc, `docs/protocol.md should show ${s}`).toContain(s)

describe('docs/protocol.md worked examples', () => {
  const text = 'Hi Bob, greetings from Venice! Alice\n'
  const parts = buildDraft({
    from: { address: 'alice@example.com' },
    to: [],
    subject: '',
    messageId: '<1@example.com>',
    text: { contentId: digest(text), size: 37, mediaType: 'text/plain; charset=UTF-8' },
  }).parts
  const recipients = ['Bob <Bob@Example.net>', 'carol@example.org', 'bob@example.net']

  it('Content-ID', () => {
    expect(new TextEncoder().encode(text).length).toBe(37)
    inDoc(`(37 bytes) → \`${digest(text)}\``)
  })

  it('Body-Digest', () => {
    inDoc(`\`${jcs(parts)}\``)
    inDoc(`→ \`${bodyDigest(parts)}\``)
  })

  const key = Buffer.from('recipients-key-fig3-message-9876')
  const salt = Buffer.from('salt-of-the-fig3-message-0123456')

  it('Recipients-Digest (keyed at the origin, plain at a forwarding hop)', () => {
    expect(canonicalRecipients(recipients).join('\n')).toBe('bob@example.net\ncarol@example.org')
    inDoc(
      `(\`Recipients-Key: <${key.toString('base64url')}>\`) →\n> \`${recipientsDigest(recipients, key)}\``,
    )
    inDoc(`\`${recipientsDigest(recipients)}\`)`)
  })

  it('eht (To blinded with the Recipients-Salt)', () => {
    const block: Header[] = [
      ['Date', 'Sun, 22 Dec 2024 19:49:35 +0000'],
      ['Recipients-Digest', `<${recipientsDigest(recipients, key)}>`],
      ['Body-Digest', `<${bodyDigest(parts)}>`],
      ['Recipients-Salt', `<${salt.toString('base64url')}>`],
      ['Recipients-Key', `<${key.toString('base64url')}>`],
      ['From', 'Alice <alice@example.com>'],
      ['To', 'Bob <bob@example.net>'],
      ['Bcc', 'carol@example.org'],
      ['Subject', 'Vacation photo'],
      ['Message-ID', '<b07d0cdf@example.com>'],
      ['Content-Type', 'multipart/mixed'],
    ]
    const ehl = ['Message-ID', 'From', 'Recipients-Digest', 'Body-Digest', 'Date', 'Subject', 'To']
    inDoc(`\`Recipients-Salt: <${salt.toString('base64url')}>\``)
    inDoc(`JCS \`${jcs(ehHeaders(block, ehl))}\``)
    expect(jcs(ehHeaders(block, ehl))).not.toContain('bob@')
    inDoc(`eht \`${ehThumbprint(block, ehl)}\``)
  })

  it('JWT-Assertion-Digest', () => {
    const jws =
      'eyJhbGciOiJFZERTQSIsInR5cCI6ImZ6LWhvcCtqd3QiLCJraWQiOiJrMSJ9.eyJpc3MiOiJodHRwczovL2FzMS5leGFtcGxlLmNvbSJ9.c2lnbmF0dXJl'
    inDoc(`\`${jws}\`\n> → \`${jwtAssertionDigest(jws)}\``)
  })
})
