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

/** Our sentence for each stable refusal code (docs/protocol.md §3 Delivery; the SMTP bridge's classes). */
const REFUSALS: Record<string, (domain: string) => string> = {
  unknown_recipient: (d) => `there is no mailbox with this address at ${d}. Check the address.`,
  recipient_disabled: (d) => `the mailbox of this address at ${d} is disabled.`,
  mailbox_full: () => 'the recipient’s mailbox is full.',
  too_large: () => 'the message is larger than the recipient’s server accepts.',
  refused_by_policy: (d) =>
    `the mail server of ${d} refused the message by its policy (for example as suspected spam).`,
}

/** What a delivery failure means for the sender, in a sentence (the technical reason follows below it). */
export function plainReason(reason: string, address: string): string {
  const domain = address.split('@')[1] ?? 'the recipient’s domain'
  // A stable refusal code in front (`unknown_recipient: …`) decides before any text after it is read.
  const code = /^([a-z_]+): /.exec(reason)?.[1]
  const byCode = code && REFUSALS[code]
  if (byCode) return byCode(domain)
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

/** The notice's sentences (what happened, what to do): never a peer's or a remote server's own text. */
function noticeSentences(input: NoticeInput, domain: string, retryHint?: string) {
  const plain = input.recipients.map((r) => `  ${r.address}: ${plainReason(r.reason, r.address)}`)
  return input.kind === 'failure'
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
}

const TECHNICAL = 'Technical details (for a mail administrator)'

/** The text a person reads in the notice: sentences first, the technical reasons after them. */
export function noticeText(input: NoticeInput, domain: string, retryHint?: string): string {
  const lines = noticeSentences(input, domain, retryHint)
  const technical = [`${TECHNICAL}:`, ...input.recipients.map((r) => `  ${r.address}: ${r.reason}`)]
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

const escapeHtml = (t: string) =>
  t.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )

/**
 * The same notice as HTML, which the reader shows: the sentences, and the technical reasons — a remote
 * server's reply among them — only inside a closed `<details>` disclosure (HTML §4.11.1).
 */
export function noticeHtml(input: NoticeInput, domain: string, retryHint?: string): string {
  const paragraphs = noticeSentences(input, domain, retryHint)
    .join('\n')
    .split('\n\n')
    .map((p) => `<p>${escapeHtml(p.trim()).replace(/\n\s*/g, '<br>')}</p>`)
  const technical = input.recipients.map((r) => `${r.address}: ${r.reason}`).join('\n')
  return [
    ...paragraphs,
    `<p>Subject: ${escapeHtml(input.subject)}<br>Message-ID: ${escapeHtml(input.messageId)}</p>`,
    `<details><summary>${TECHNICAL}</summary><pre>${escapeHtml(technical)}</pre></details>`,
  ].join('\n')
}

/**
 * Writes a delivery notice (delay or final failure) into the sender's own inbox: a locally built,
 * sealed message from the domain's mailer-daemon whose text resource is stored first, then the row
 * (store discipline: file before the row that names it). Runs in the caller's transaction when given one.
 */
export async function insertNotice(ctx: GatewayContext, db: Db, input: NoticeInput, retryHint?: string) {
  const text = Buffer.from(noticeText(input, ctx.config.domain, retryHint), 'utf8')
  const html = Buffer.from(noticeHtml(input, ctx.config.domain, retryHint), 'utf8')
  const stored = (bytes: Buffer) =>
    ctx.federation.resources.write(
      (async function* () {
        yield bytes
      })(),
      { maxBytes: bytes.length },
    )
  const { contentId, size } = await stored(text)
  const htmlRef = await stored(html)
  const draft = buildDraft({
    from: { name: 'Mail Delivery System', address: `mailer-daemon@${ctx.config.domain}` },
    to: [{ address: input.account }],
    subject: `${input.kind === 'failure' ? 'Undeliverable' : 'Delayed'}: ${input.subject}`,
    messageId: `<${randomUUID()}@${ctx.config.domain}>`,
    inReplyTo: input.messageId,
    references: [input.messageId],
    text: { contentId, size, mediaType: 'text/plain; charset=UTF-8' },
    html: { contentId: htmlRef.contentId, size: htmlRef.size, mediaType: 'text/html; charset=UTF-8' },
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
