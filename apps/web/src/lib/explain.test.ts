import { describe, expect, it } from 'vitest'
import { explainDelivery, explainError } from './explain.ts'

describe('failures in plain words (issue 16 bug 12)', () => {
  it('turns a DNS failure into a sentence naming the domain; the raw text goes to details', () => {
    const raw = 'attempt 3 failed: querySrv ENOTFOUND _federizer._rs._tcp.exampel.com'
    const e = explainDelivery(raw, 'bob@exampel.com')
    expect(e?.sentence).toBe('The domain exampel.com could not be found. Check the address for a typo.')
    expect(e?.sentence).not.toMatch(/ENOTFOUND|querySrv/)
    expect(e?.detail).toBe(raw)
  })

  it('says the server did not answer (and that it keeps trying) for transient failures', () => {
    expect(explainDelivery('connect ECONNREFUSED 127.0.0.1:9', 'bob@example.net')?.sentence).toBe(
      'The mail server of example.net did not answer. Federizer keeps trying.',
    )
  })

  it('tells a domain that takes no mail from a mail server that is only not answering now', () => {
    expect(
      explainDelivery(
        'example.net does not accept mail (null MX, RFC 7505); nothing was sent',
        'bob@example.net',
      )?.sentence,
    ).toBe('The domain example.net does not receive mail. Check the address.')
    expect(
      explainDelivery(
        'attempt 1 failed: the mailbox of down.example could not be discovered (discovery_failed)',
        'c@down.example',
      )?.sentence,
    ).toBe('The mail server of down.example did not answer. Federizer keeps trying.')
    expect(
      explainDelivery('down.example does not exist; nothing was sent', 'c@down.example')?.sentence,
    ).toMatch(/could not be found/)
  })

  it('names a full mailbox and an unknown recipient', () => {
    expect(explainDelivery('over_quota: mailbox is full', 'bob@example.net')?.sentence).toMatch(
      /mailbox is full/,
    )
    expect(explainDelivery('unknown_recipient: no such user', 'bob@example.net')?.sentence).toBe(
      'There is no mailbox with this address at example.net.',
    )
  })

  it('explains "refused to sign" and network errors, keeping the technical text only for details', () => {
    const signed = explainError(
      new Error('your authorization server refused to sign this message: header "Subject" …'),
      'Not sent',
    )
    expect(signed.sentence).toMatch(/^Not sent: your mail server would not sign this message/)
    expect(signed.detail).toMatch(/authorization server refused/)
    const offline = explainError(new TypeError('Failed to fetch'), 'Not sent')
    expect(offline.sentence).toBe(
      'Not sent: the server could not be reached. Check your connection and try again.',
    )
    expect(explainError(new Error('add at least one recipient'), 'Not sent')).toEqual({
      sentence: 'Not sent: Add at least one recipient',
    })
  })
})
