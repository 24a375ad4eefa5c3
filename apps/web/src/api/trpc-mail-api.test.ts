import { TRPCClientError } from '@trpc/client'
import { describe, expect, it } from 'vitest'
import type { ApiClient } from './trpc-client.ts'
import { createTrpcMailApi, toMessageSummary } from './trpc-mail-api.ts'

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

describe('send: the compose form saved and sent in one request', () => {
  const draft = {
    to: [{ address: 'bob@example.net' }],
    cc: [],
    bcc: [],
    subject: 'Hi',
    text: 'hello',
    attachments: [],
    references: [],
  } as unknown as Parameters<ReturnType<typeof createTrpcMailApi>['send']>[0]
  const apiWith = (mutate: (input: unknown) => Promise<unknown>) =>
    createTrpcMailApi({ send: { submit: { mutate } } } as unknown as ApiClient, {
      apiUrl: 'http://api.test',
      accessToken: async () => 't',
    })

  it('tells the caller the draft id on success and when the send failed after the save', async () => {
    const saved: string[] = []
    const ok = apiWith(async () => ({ messageId: 'm_1', messageIdHeader: '<a@x>', holdUntil: 5 }))
    expect(await ok.send(draft, (id) => saved.push(id))).toEqual({ messageId: 'm_1', holdUntil: 5000 })
    const refused = apiWith(async () => {
      throw TRPCClientError.from({
        error: { message: 'add a recipient', code: -32600, data: { code: 'BAD_REQUEST', draftId: 'm_2' } },
      })
    })
    await expect(refused.send(draft, (id) => saved.push(id))).rejects.toThrow('add a recipient')
    // A failure before anything was saved (no draftId in the answer) names no draft.
    const down = apiWith(async () => {
      throw new TypeError('Failed to fetch')
    })
    await expect(down.send(draft, (id) => saved.push(id))).rejects.toThrow('Failed to fetch')
    expect(saved).toEqual(['m_1', 'm_2'])
  })
})
