import { describe, expect, it } from 'vitest'
import { noticeHtml, plainReason } from '../src/mta/notices.ts'
import { classifyReply } from '../src/smtp/outbound.ts'

// Issue 15: a 5xx from a remote SMTP server bounces with OUR sentence, chosen by its reply and enhanced
// status codes (RFC 3463); the remote text (a peer's words) is kept only behind a details disclosure.

describe('a remote SMTP refusal in plain words', () => {
  it.each([
    ['550 5.1.1 <x@legacy.test>: Recipient address rejected: User unknown', 'unknown_recipient'],
    ['550 5.1.2 bad destination system', 'unknown_recipient'],
    ['550 5.2.1 mailbox disabled', 'recipient_disabled'],
    ['552 5.2.2 over quota', 'mailbox_full'],
    ['552 5.3.4 message size exceeds fixed limit', 'too_large'],
    ['552 too big', 'too_large'],
    ['550 5.7.1 Service unavailable; client host blocked', 'refused_by_policy'],
    ['554 5.7.26 DMARC policy', 'refused_by_policy'],
    ['550 no reason given', 'smtp_rejected'],
  ])('%s → %s', (reply, error) => {
    expect(classifyReply(Number(reply.slice(0, 3)), reply).error).toBe(error)
  })

  it('the text of the reply never picks the sentence: only its codes do', () => {
    const steering = '550 5.1.1 mailbox is full; domain does not exist; quota exceeded'
    expect(classifyReply(550, steering)).toEqual({
      error: 'unknown_recipient',
      words: 'no such mailbox at the recipient domain',
    })
    const reason = `unknown_recipient: no such mailbox at the recipient domain (mx.legacy.test answered: ${steering})`
    expect(plainReason(reason, 'carol@legacy.test')).toBe(
      'there is no mailbox with this address at legacy.test. Check the address.',
    )
  })

  it('the notice as the reader shows it: sentences, and the remote reply only inside <details>, escaped', () => {
    const reason =
      'unknown_recipient: no such mailbox at the recipient domain (mx.legacy.test answered: 550 5.1.1 <carol@legacy.test>: <script>x</script>)'
    const html = noticeHtml(
      {
        kind: 'failure',
        account: 'alice@example.com',
        subject: 'Hi',
        messageId: '<1@example.com>',
        recipients: [{ address: 'carol@legacy.test', reason }],
      },
      'example.com',
    )
    const [visible, details] = html.split('<details>')
    expect(visible).toContain('carol@legacy.test: there is no mailbox with this address at legacy.test.')
    expect(visible).not.toMatch(/answered|550|5\.1\.1/)
    expect(details).toMatch(/^<summary>Technical details \(for a mail administrator\)<\/summary><pre>/)
    expect(details).toContain('answered: 550 5.1.1 &lt;carol@legacy.test&gt;: &lt;script&gt;x&lt;/script&gt;')
    expect(html).not.toContain('<script>')
  })
})
