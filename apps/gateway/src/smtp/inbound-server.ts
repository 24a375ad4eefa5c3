import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { domainPaths } from '@federizer/node'
import { findUser } from '@federizer/store'
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server'
import type { GatewayContext } from '../context.ts'
import { authenticateLegacy, mailauthResolver } from './authenticate.ts'
import { storeLegacyMessage } from './inbound-store.ts'
import { mimeToPlaceholder } from './mime.ts'
import { checkMime } from './mime-check.ts'
import { SmtpRefusal, spool } from './spool.ts'

export interface InboundSmtpOptions {
  /** Loopback or public port (25 in production); 0 picks a free one. */
  port: number
  host?: string
  /** Largest message accepted, announced in EHLO (RFC 1870) and enforced while streaming. */
  maxMessageBytes?: number
  /** Most RCPT TO per transaction (RFC 5321 §4.5.3.1.8 asks for at least 100). */
  maxRecipients?: number
  /** PEM files of the domain's certificate: STARTTLS is offered when set (RFC 3207). */
  tls?: { certFile: string; keyFile: string }
}

export interface InboundSmtp {
  port: number
  close(): Promise<void>
}

/** The certificate or key of `smtp.tls`, or an error naming the field (the operator's to fix). */
function readPem(file: string, field: string): Buffer {
  try {
    return readFileSync(file)
  } catch (e) {
    throw new Error(`smtp.tls.${field}: cannot read ${file} (${(e as { code?: string }).code ?? e})`)
  }
}

const refusal = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code })

/**
 * The domain's SMTP listener (RFC 5321): unknown recipients are refused at RCPT TO (550 5.1.1, so no
 * backscatter is ever sent), the message is spooled and checked while it streams, authenticated
 * (SPF/DKIM/DMARC/ARC), turned into a Placeholder Message, and 250 is answered only after the message
 * and every part are durably stored. A DMARC failure under `p=reject` is refused (550 5.7.1).
 */
export async function startInboundSmtp(ctx: GatewayContext, o: InboundSmtpOptions): Promise<InboundSmtp> {
  const maxBytes = o.maxMessageBytes ?? 25 * 1024 * 1024
  const maxRecipients = o.maxRecipients ?? 100
  const domain = ctx.config.domain.toLowerCase()
  const spoolDir = path.join(path.dirname(domainPaths(ctx.config).resources), 'smtp-spool')
  const resolver = mailauthResolver(ctx.config)
  const server = new SMTPServer({
    name: `mx.${domain}`,
    banner: `Federizer ${domain}`,
    size: maxBytes,
    authOptional: true,
    disabledCommands: o.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(o.tls ? { key: readPem(o.tls.keyFile, 'keyFile'), cert: readPem(o.tls.certFile, 'certFile') } : {}),
    logger: false,
    onRcptTo(address, session, callback) {
      const rcpt = address.address.toLowerCase()
      if (session.envelope.rcptTo.length >= maxRecipients)
        return callback(refusal(452, `4.5.3 Too many recipients (at most ${maxRecipients} per message)`))
      if (!rcpt.endsWith(`@${domain}`))
        return callback(refusal(550, `5.7.1 Relaying denied: ${domain} only accepts mail for its own users`))
      findUser(ctx.db, rcpt).then(
        (user) => callback(user ? null : refusal(550, `5.1.1 <${rcpt}>: no such user here`)),
        () => callback(refusal(451, '4.3.0 Temporary failure looking up the recipient; try again later')),
      )
    },
    onData(stream, session, callback) {
      receive(stream, session).then(
        (queued) => callback(null, queued),
        (e) => {
          if (e instanceof SmtpRefusal) return callback(refusal(e.responseCode, e.message))
          ctx.logger.error({ err: e, session: session.id }, 'smtp: receiving a message failed')
          callback(refusal(451, '4.3.0 The message could not be stored; try again later'))
        },
      )
    },
  })

  async function receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const spooled = await spool(stream, spoolDir, maxBytes)
    try {
      const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : ''
      // Structure and encodings first: a refusal stores nothing (not a row, not a file).
      await checkMime(spooled.open(), { envelopeFrom: sender })
      const auth = await authenticateLegacy(spooled.open(), {
        ip: session.remoteAddress,
        helo: session.hostNameAppearsAs,
        ...(session.clientHostname && !session.clientHostname.startsWith('[')
          ? { hostname: session.clientHostname }
          : {}),
        sender,
        tls: session.secure,
        mta: `mx.${domain}`,
        resolver,
      })
      if (auth.dmarc.result === 'fail' && auth.dmarc.policy === 'reject')
        throw new SmtpRefusal(
          550,
          `5.7.1 Rejected by the DMARC policy of ${auth.dmarc.domain ?? 'the sender'}`,
        )
      const parsed = await mimeToPlaceholder(spooled.open(), ctx.federation.resources, {
        domain,
        maxBytes,
        envelopeFrom: sender,
      })
      const recipients = session.envelope.rcptTo.map((r) => r.address.toLowerCase())
      const junk = auth.dmarc.result === 'fail' && auth.dmarc.policy === 'quarantine'
      const ids = await storeLegacyMessage(ctx.db, {
        ...parsed,
        recipients,
        auth,
        junk,
        now: ctx.now(),
        lifetime: ctx.domain.schedule.lifetimeSeconds,
      })
      // A vacation reply may be queued: the MTA sends it over the SMTP bridge.
      ctx.federation.wake()
      ctx.logger.info(
        { smtp: session.id, from: sender, to: recipients, auth: auth.summary },
        'smtp: received',
      )
      return `2.0.0 Stored as ${ids.join(', ')}`
    } finally {
      await spooled.remove()
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.port, o.host ?? '127.0.0.1', () => resolve())
  })
  server.on('error', (e) => ctx.logger.warn({ err: e }, 'smtp: connection error'))
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
