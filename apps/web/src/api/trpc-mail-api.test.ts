import { describe, expect, it } from 'vitest'
import { toMessageSummary } from './trpc-mail-api.ts'

describe('api → webmail summary', () => {
  it('converts epoch seconds to milliseconds, sorts keywords and keeps names', () => {
    const summary = toMessageSummary({
      id: 'msg_1',
      mailboxId: 'mb_1',
      threadId: '<t@example.com>',
      messageIdHeader: '<m@example.com>',
      subject: 'Hi',
      from: { name: 'Alice', address: 'alice@example.com' },
      recipients: [{ address: 'bob@example.net' }],
      preview: 'hello',
      keywords: ['$seen', '$flagged'],
      hasAttachments: true,
      size: 10,
      sentAt: null,
      receivedAt: 1_700_000_000,
      contentState: 'arriving',
    } as Parameters<typeof toMessageSummary>[0])
    expect(summary).toMatchObject({
      id: 'msg_1',
      mailboxId: 'mb_1',
      receivedAt: 1_700_000_000_000,
      keywords: ['$flagged', '$seen'],
      from: { name: 'Alice', address: 'alice@example.com' },
      to: [{ address: 'bob@example.net' }],
      hasAttachment: true,
      contentState: 'arriving',
    })
  })
})
