import { describe, expect, it } from 'vitest'
import { noticeText } from '../src/mta/notices.ts'

describe('delivery notices read as sentences (issue 16 bug 12)', () => {
  it('says what happened in plain words first, with the technical reason only under "Technical details"', () => {
    const raw =
      'the mailbox of exampel.com could not be discovered: no SRV record _federizer._rs._tcp.exampel.com (querySrv ENOTFOUND _federizer._rs._tcp.exampel.com)'
    const text = noticeText(
      {
        kind: 'failure',
        account: 'alice@example.com',
        subject: 'Hi',
        messageId: '<1@example.com>',
        recipients: [{ address: 'bob@exampel.com', reason: raw }],
      },
      'example.com',
    )
    const [before, details] = text.split('Technical details (for a mail administrator):')
    expect(before).toContain(
      'bob@exampel.com: the domain exampel.com could not be found. Check the address for a typo.',
    )
    expect(before).not.toMatch(/ENOTFOUND|querySrv|SRV/)
    expect(details).toContain(raw)
  })

  it('names a missing mailbox', () => {
    const text = noticeText(
      {
        kind: 'failure',
        account: 'alice@example.com',
        subject: 'Hi',
        messageId: '<1@example.com>',
        recipients: [
          { address: 'nobody@example.net', reason: 'example.net refused the message (unknown_recipient): x' },
        ],
      },
      'example.com',
    )
    expect(text).toContain(
      'nobody@example.net: there is no mailbox with this address at example.net. Check the address.',
    )
  })
})
