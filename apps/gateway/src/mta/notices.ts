import { randomUUID } from 'node:crypto'
import { buildDraft, sealForSend } from '@federizer/protocol'
import { type Db, indexMessageText, insertMessage } from '@federizer/store'
import type { GatewayContext } from '../context.ts'

export type NoticeKind = 'failure' | 'delay'

export interface NoticeInput {
  kind: NoticeKind
  /** The sender's account (lower-cased address). */
  account: string
  /** Subject of the message the notice is about. */
  subject: string
  messageId: string
  /** recipient → reason */
  recipients: Array<{ address: string; reason: string }>
}

/** The text a person reads in the notice. */
export function noticeText(input: NoticeInput, domain: string, retryHint?: string): string {
  const lines =
    input.kind === 'failure'
      ? [
          `Your message could not be delivered to ${input.recipients.length === 1 ? 'this recipient' : 'these recipients'}:`,
          '',
          ...input.recipients.map((r) => `  ${r.address}: ${r.reason}`),
          '',
          'The mail system of ' + domain + ' has given up; nothing more will be tried.',
        ]
      : [
          'Your message has not been delivered yet to:',
          '',
          ...input.recipients.map((r) => `  ${r.address}: ${r.reason}`),
          '',
          `The mail system of ${domain} keeps trying${retryHint ? ` (${retryHint})` : ''}; you need do nothing.`,
        ]
  return [...lines, '', `Subject: ${input.subject}`, `Message-ID: ${input.messageId}`, ''].join('\n')
}

/**
 * Writes a delivery notice (delay or final failure) into the sender's own inbox: a locally built,
 * sealed message from the domain's mailer-daemon whose text resource is stored first, then the row
 * (store discipline: file before the row that names it). Runs in the caller's transaction when given one.
 */
export async function insertNotice(ctx: GatewayContext, db: Db, input: NoticeInput, retryHint?: string) {
  const text = Buffer.from(noticeText(input, ctx.config.domain, retryHint), 'utf8')
  const { contentId, size } = await ctx.federation.resources.write(
    (async function* () {
      yield text
    })(),
    { maxBytes: text.length },
  )
  const draft = buildDraft({
    from: { name: 'Mail Delivery System', address: `mailer-daemon@${ctx.config.domain}` },
    to: [{ address: input.account }],
    subject: `${input.kind === 'failure' ? 'Undeliverable' : 'Delayed'}: ${input.subject}`,
    messageId: `<${randomUUID()}@${ctx.config.domain}>`,
    inReplyTo: input.messageId,
    references: [input.messageId],
    text: { contentId, size, mediaType: 'text/plain; charset=UTF-8' },
  })
  const { message } = sealForSend(draft, { date: new Date(ctx.now() * 1000) })
  const row = await insertMessage(db, {
    account: input.account,
    mailboxRole: 'inbox',
    placeholder: message,
    contentState: 'complete',
  })
  await indexMessageText(db, { id: row.id, text: text.toString('utf8') })
  return row
}
