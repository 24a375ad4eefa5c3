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

/** What a delivery failure means for the sender, in a sentence (the technical reason follows below it). */
export function plainReason(reason: string, address: string): string {
  const domain = address.split('@')[1] ?? 'the recipient’s domain'
  if (/unknown_recipient|no mailbox|no such user/i.test(reason))
    return `there is no mailbox with this address at ${domain}. Check the address.`
  if (/ENOTFOUND|NXDOMAIN|does not exist/i.test(reason))
    return `the domain ${domain} could not be found. Check the address for a typo.`
  if (/does not accept mail|no mail server|null MX/i.test(reason))
    return `the domain ${domain} does not receive mail. Check the address.`
  if (/quota|mailbox is full|insufficient_storage/i.test(reason)) return 'the recipient’s mailbox is full.'
  if (/too_large|too large/i.test(reason)) return 'the message is larger than the recipient’s server accepts.'
  if (/gave up after the queue lifetime/i.test(reason))
    return `the mail server of ${domain} could not be reached for 5 days.`
  if (
    /could not be (reached|discovered)|discovery_failed|DNS lookup|ECONNREFUSED|ETIMEDOUT|timed? ?out|unavailable|50[234]/i.test(
      reason,
    )
  )
    return `the mail server of ${domain} does not answer at the moment.`
  return `the mail server of ${domain} refused the message.`
}

/** The text a person reads in the notice: sentences first, the technical reasons after them. */
export function noticeText(input: NoticeInput, domain: string, retryHint?: string): string {
  const plain = input.recipients.map((r) => `  ${r.address}: ${plainReason(r.reason, r.address)}`)
  const lines =
    input.kind === 'failure'
      ? [
          `Your message could not be delivered to ${input.recipients.length === 1 ? 'this recipient' : 'these recipients'}:`,
          '',
          ...plain,
          '',
          `The mail system of ${domain} has given up; nothing more will be tried. You can send the message again from your Sent folder.`,
        ]
      : [
          'Your message has not been delivered yet to:',
          '',
          ...plain,
          '',
          `The mail system of ${domain} keeps trying${retryHint ? ` (${retryHint})` : ''}; you need do nothing.`,
        ]
  const technical = [
    'Technical details (for a mail administrator):',
    ...input.recipients.map((r) => `  ${r.address}: ${r.reason}`),
  ]
  return [
    ...lines,
    '',
    `Subject: ${input.subject}`,
    `Message-ID: ${input.messageId}`,
    '',
    ...technical,
    '',
  ].join('\n')
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
