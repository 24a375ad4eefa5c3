import { formatAddress, originalHeaders, type PlaceholderMessage, readMessage } from '@federizer/protocol'
import nodemailer, { type SendMailOptions } from 'nodemailer'
import type { GatewayContext } from '../context.ts'
import { loadDkimKey } from './dkim-key.ts'
import { mxAddresses } from './route.ts'

/** One recipient's answer from the remote SMTP server. */
export interface SmtpRecipientResult {
  recipient: string
  status: 'accepted' | 'rejected'
  error?: string
  error_description?: string
}

export type SmtpOutcome =
  | { kind: 'delivered'; results: SmtpRecipientResult[]; reasons: Record<string, string> }
  | { kind: 'permanent'; reason: string }
  | { kind: 'transient'; reason: string }

type SmtpError = Error & { responseCode?: number; response?: string; code?: string }

/**
 * The remote reply as a bounce carries it in its technical part (RFC 3464 Diagnostic-Code):
 * "mx.example.org answered: 550 5.1.1 <x>: user unknown" — one line, printable characters only, at most
 * 300. It is never the sentence a person reads: that is {@link classifyReply}'s.
 */
const said = (host: string, e: SmtpError) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: folding control characters out of a remote reply
  `${host} answered: ${(e.response ?? e.message).replace(/[\s\u0000-\u001f\u007f]+/g, ' ').slice(0, 300)}`

/**
 * Our words for a remote refusal, chosen by its reply code and enhanced status code (RFC 5321 §4.2,
 * RFC 3463 §3) and never by its text: `error` is a stable code, `words` what the sender reads.
 */
export function classifyReply(responseCode: number, response: string): { error: string; words: string } {
  const status = /^\d{3}[ -]([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(response.trim())
  const [subject, detail] = status ? [Number(status[2]), Number(status[3])] : [-1, -1]
  if (subject === 1 && (detail === 1 || detail === 0 || detail === 6))
    return { error: 'unknown_recipient', words: 'no such mailbox at the recipient domain' }
  if (subject === 1 && detail === 2)
    return { error: 'unknown_recipient', words: 'the recipient domain does not take mail for this address' }
  if (subject === 2 && detail === 1) return { error: 'recipient_disabled', words: 'the mailbox is disabled' }
  if (subject === 2 && detail === 2)
    return { error: 'mailbox_full', words: 'the recipient’s mailbox is full' }
  if ((subject === 3 && detail === 4) || (subject === 2 && detail === 3) || (!status && responseCode === 552))
    return { error: 'too_large', words: 'the message is too large for the recipient’s server' }
  if (subject === 7)
    return {
      error: 'refused_by_policy',
      words: 'the recipient’s server refused it by its policy (for example as suspected spam)',
    }
  return { error: 'smtp_rejected', words: 'refused by the recipient’s mail server' }
}

/** One refused recipient: our classified words first, the remote reply after them for the details. */
function refused(recipient: string, host: string, e: SmtpError): SmtpRecipientResult {
  const { error, words } = classifyReply(e.responseCode ?? 0, e.response ?? '')
  return { recipient, status: 'rejected', error, error_description: `${words} (${said(host, e)})` }
}

function delivered(results: SmtpRecipientResult[]): SmtpOutcome {
  const reasons: Record<string, string> = {}
  for (const r of results) if (r.error_description) reasons[r.recipient] = r.error_description
  return { kind: 'delivered', results, reasons }
}

/**
 * Builds the MIME message of a placeholder (nodemailer's MailComposer): the original From, To, Cc,
 * Subject, Date, Message-ID, In-Reply-To, References and Auto-Submitted (never Bcc, RFC 5322 §3.6.3),
 * the bodies and attachments streamed from the resource store.
 */
async function mailOf(ctx: GatewayContext, placeholder: PlaceholderMessage): Promise<SendMailOptions> {
  const m = readMessage(placeholder)
  // From its file, or from the database for a small body (the store knows which).
  const read = (id: string) => ctx.federation.resources.openRead(id)
  // A vacation reply says so over SMTP too, so responders on the other side never answer it (RFC 3834 §5).
  const autoSubmitted = originalHeaders(placeholder).find(([n]) => n.toLowerCase() === 'auto-submitted')?.[1]
  return {
    from: formatAddress(m.from),
    ...(m.to.length ? { to: m.to.map(formatAddress) } : {}),
    ...(m.cc.length ? { cc: m.cc.map(formatAddress) } : {}),
    subject: m.subject,
    messageId: m.messageId,
    ...(m.date ? { date: m.date } : {}),
    ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}),
    ...(m.references.length ? { references: m.references } : {}),
    ...(m.text ? { text: await read(m.text.contentId) } : {}),
    ...(m.html ? { html: await read(m.html.contentId) } : {}),
    attachments: await Promise.all(
      m.attachments.map(async (a) => ({
        content: await read(a.contentId),
        contentType: a.mediaType,
        ...(a.filename ? { filename: a.filename } : {}),
        contentDisposition: a.disposition,
      })),
    ),
    headers: { 'X-Mailer': 'Federizer', ...(autoSubmitted ? { 'Auto-Submitted': autoSubmitted } : {}) },
  }
}

/**
 * Delivers one message over SMTP (RFC 5321) to the first of `hosts` (MX order) that answers,
 * DKIM-signed with the domain's key (RFC 6376), with opportunistic STARTTLS (RFC 3207, RFC 7435: an
 * unverifiable certificate still encrypts). 5xx for a recipient bounces that recipient with the remote
 * reply; 4xx or no connection is transient (the queue retries).
 */
export async function deliverSmtp(
  ctx: GatewayContext,
  o: { hosts: string[]; sender: string; recipients: string[]; placeholder: PlaceholderMessage },
): Promise<SmtpOutcome> {
  const dkim = await loadDkimKey(ctx.config)
  const port = ctx.config.smtpOutboundPort ?? 25
  let last = 'no mail server answered'
  for (const host of o.hosts) {
    const addresses = await mxAddresses(ctx.mailDns, host)
    if (!addresses?.length) {
      last = `the mail server ${host} could not be found (${addresses ? 'it has no address' : 'DNS did not answer'})`
      continue
    }
    for (const ip of addresses) {
      const transport = nodemailer.createTransport({
        host: ip,
        port,
        secure: false,
        name: `mx.${ctx.config.domain}`,
        tls: { rejectUnauthorized: false, servername: host },
        connectionTimeout: 30_000,
        greetingTimeout: 30_000,
        socketTimeout: 120_000,
        dkim: { domainName: dkim.domain, keySelector: dkim.selector, privateKey: dkim.privateKey },
      })
      try {
        const info = await transport.sendMail({
          ...(await mailOf(ctx, o.placeholder)),
          envelope: { from: o.sender, to: o.recipients },
        })
        const rejected = new Map(
          ((info.rejectedErrors ?? []) as SmtpError[]).map((e) => [
            String((e as { recipient?: string }).recipient ?? '').toLowerCase(),
            e,
          ]),
        )
        return delivered(
          o.recipients.map((r): SmtpRecipientResult => {
            const e = rejected.get(r.toLowerCase())
            return e ? refused(r, host, e) : { recipient: r, status: 'accepted' }
          }),
        )
      } catch (err) {
        const e = err as SmtpError
        const code = e.responseCode ?? 0
        if (code >= 500) {
          // Every recipient refused at RCPT: nodemailer throws with the per-recipient errors.
          const perRecipient = (e as { rejectedErrors?: SmtpError[] }).rejectedErrors
          if (perRecipient?.length && perRecipient.length === o.recipients.length)
            return delivered(
              perRecipient.map((x) =>
                refused(String((x as { recipient?: string }).recipient ?? ''), host, x),
              ),
            )
          return {
            kind: 'permanent',
            reason: `${classifyReply(code, e.response ?? '').words} (${said(host, e)})`,
          }
        }
        last = code ? said(host, e) : `${host} could not be reached (${e.code ?? e.message})`
      } finally {
        transport.close()
      }
    }
  }
  return { kind: 'transient', reason: last }
}
