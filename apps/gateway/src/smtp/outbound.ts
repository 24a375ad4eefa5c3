import { createReadStream } from 'node:fs'
import { formatAddress, type PlaceholderMessage, readMessage } from '@federizer/protocol'
import nodemailer, { type SendMailOptions } from 'nodemailer'
import type { GatewayContext } from '../context.ts'
import { loadDkimKey } from './dkim-key.ts'

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
 * The remote reply in plain words, as a bounce carries it (RFC 3464 Diagnostic-Code): "mx.example.org
 * answered: 550 5.1.1 <x>: user unknown" — one line, printable characters only, at most 300.
 */
const said = (host: string, e: SmtpError) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: folding control characters out of a remote reply
  `${host} answered: ${(e.response ?? e.message).replace(/[\s\u0000-\u001f\u007f]+/g, ' ').slice(0, 300)}`

function delivered(results: SmtpRecipientResult[]): SmtpOutcome {
  const reasons: Record<string, string> = {}
  for (const r of results) if (r.error_description) reasons[r.recipient] = r.error_description
  return { kind: 'delivered', results, reasons }
}

/**
 * Builds the MIME message of a placeholder (nodemailer's MailComposer): the original From, To, Cc,
 * Subject, Date, Message-ID, In-Reply-To and References (never Bcc, RFC 5322 §3.6.3), the bodies and
 * attachments streamed from the resource store.
 */
function mailOf(ctx: GatewayContext, placeholder: PlaceholderMessage): SendMailOptions {
  const m = readMessage(placeholder)
  const path = (id: string) => ctx.federation.resources.path(id)
  return {
    from: formatAddress(m.from),
    ...(m.to.length ? { to: m.to.map(formatAddress) } : {}),
    ...(m.cc.length ? { cc: m.cc.map(formatAddress) } : {}),
    subject: m.subject,
    messageId: m.messageId,
    ...(m.date ? { date: m.date } : {}),
    ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}),
    ...(m.references.length ? { references: m.references } : {}),
    ...(m.text ? { text: createReadStream(path(m.text.contentId)) } : {}),
    ...(m.html ? { html: createReadStream(path(m.html.contentId)) } : {}),
    attachments: m.attachments.map((a) => ({
      path: path(a.contentId),
      contentType: a.mediaType,
      ...(a.filename ? { filename: a.filename } : {}),
      contentDisposition: a.disposition,
    })),
    headers: { 'X-Mailer': 'Federizer' },
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
    let addresses: string[]
    try {
      addresses = await ctx.mailDns.resolve4(host)
    } catch (e) {
      last = `the mail server ${host} could not be found (${(e as SmtpError).code ?? e})`
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
          ...mailOf(ctx, o.placeholder),
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
            if (!e) return { recipient: r, status: 'accepted' }
            return {
              recipient: r,
              status: 'rejected',
              error: 'smtp_rejected',
              error_description: said(host, e),
            }
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
              perRecipient.map((x) => ({
                recipient: String((x as { recipient?: string }).recipient ?? ''),
                status: 'rejected' as const,
                error: 'smtp_rejected',
                error_description: said(host, x),
              })),
            )
          return { kind: 'permanent', reason: said(host, e) }
        }
        last = code ? said(host, e) : `${host} could not be reached (${e.code ?? e.message})`
      } finally {
        transport.close()
      }
    }
  }
  return { kind: 'transient', reason: last }
}
