import { createHash } from 'node:crypto'
import { buildDraft } from '@federizer/protocol/message'
import { describe, expect, it } from 'vitest'
import { forwardDraftState, isDraftEmpty, newDraft, quoteText, replyDraft } from './compose-model.ts'
import { reconstructMessage } from './message-view.ts'

const cid = (c: string) => createHash('sha256').update(c).digest('base64url')
const TEXT = { contentId: cid('t'), size: 9, mediaType: 'text/plain' }
const PHOTO = { contentId: cid('p'), size: 3520247, mediaType: 'image/png', filename: 'Venice.png' }

const placeholder = buildDraft({
  from: { name: 'Alice', address: 'alice@example.com' },
  to: [{ name: 'Bob', address: 'bob@example.net' }, { address: 'dave@example.org' }],
  cc: [{ address: 'carol@example.org' }],
  subject: 'Vacation photo',
  messageId: '<m2@example.com>',
  threadId: '<t1@example.com>',
  inReplyTo: '<m1@example.net>',
  references: ['<m1@example.net>'],
  text: TEXT,
  attachments: [PHOTO],
})
const view = reconstructMessage({
  placeholder,
  text: 'line one\n> older',
  resources: [{ ...PHOTO, disposition: 'attachment', available: true }],
  contentState: 'complete',
})
const source = { id: 'row-1', placeholder, view }

describe('reply, reply-all and forward drafts', () => {
  it('reply goes to the sender only, threads and quotes', () => {
    const d = replyDraft(source, { replyAll: false, self: 'bob@example.net' })
    expect(d.to.map((a) => a.address)).toEqual(['alice@example.com'])
    expect(d.cc).toEqual([])
    expect(d.subject).toBe('Re: Vacation photo')
    expect(d.inReplyTo).toBe('<m2@example.com>')
    expect(d.references).toEqual(['<m1@example.net>', '<m2@example.com>'])
    expect(d.threadId).toBe('<t1@example.com>')
    expect(d.text).toContain('Alice <alice@example.com> wrote:\n> line one\n>> older')
    expect(d.attachments).toEqual([])
    expect(d.mode).toBe('reply')
  })

  it('reply-all keeps the other recipients but never myself', () => {
    const d = replyDraft(source, { replyAll: true, self: 'BOB@example.net' })
    expect(d.to.map((a) => a.address)).toEqual(['alice@example.com', 'dave@example.org'])
    expect(d.cc.map((a) => a.address)).toEqual(['carol@example.org'])
  })

  it('forward reuses the attachments by Content-ID and references the original', () => {
    const d = forwardDraftState(source)
    expect(d.subject).toBe('Fwd: Vacation photo')
    expect(d.attachments).toEqual([PHOTO])
    expect(d.references).toEqual(['<m1@example.net>', '<m2@example.com>'])
    expect(d.to).toEqual([])
    expect(d.text).toContain('---------- Forwarded message ----------')
    expect(d.text).toContain('Subject: Vacation photo')
    expect(d.mode).toBe('forward')
  })

  it('knows an empty draft from a started one', () => {
    expect(isDraftEmpty(newDraft())).toBe(true)
    expect(isDraftEmpty({ ...newDraft(), subject: 'x' })).toBe(false)
    expect(quoteText({ from: { address: 'a@b.c' }, quotableText: 'x' })).toBe('\n\na@b.c wrote:\n> x\n')
  })
})
