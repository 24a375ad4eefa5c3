import { generateKeyPairSync } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename } from 'node:fs/promises'
import path from 'node:path'
import { type InboundSmtp, startInboundSmtp } from '@federizer/gateway'
import { simpleParser } from 'mailparser'
import nodemailer from 'nodemailer'
import type DKIM from 'nodemailer/lib/dkim'
import type { Network } from './network.ts'
import { type PostfixInstance, startPostfix } from './postfix.ts'

/** The SMTP-only domain of the demo and the tests: a private Postfix, one mailbox (`carol`). */
export const LEGACY_DOMAIN = 'legacy.test'

export interface LegacyDomain {
  postfix: PostfixInstance
  /** Each Federizer domain's SMTP listener, which Postfix relays that domain's mail to. */
  listeners: Map<string, InboundSmtp>
  /** Carol's Maildir (`new/` holds what arrived, `cur/` what she has answered). */
  maildir: string
  stop(): Promise<void>
}

export interface LegacyDomainOptions {
  /** Folder of the Postfix instance (created; kept between runs, like the demo's data). */
  dir: string
  /** Postfix's smtpd port: it must be the network's `smtpOutboundPort`. */
  postfixPort: number
  /** SMTP listener port per Federizer domain (default: free ports). */
  listenerPorts?: Record<string, number>
  /** Carol answers every message a person sent her (never an automatic one), so mail comes back. */
  autoReply?: boolean
}

/**
 * Adds `legacy.test` to a devnet network: its MX, SPF, DMARC and DKIM records in the network's DNS, a
 * private Postfix that delivers `carol@legacy.test` to a Maildir and relays every Federizer domain to
 * that domain's SMTP listener (started here). With `autoReply`, Carol answers over SMTP: a DKIM-signed
 * reply submitted to Postfix, which relays it back to the sender's listener (RFC 3834 rules: never to
 * an automatic message, a list, or a bounce; the reply says `Auto-Submitted: auto-replied`).
 */
export async function startLegacyDomain(network: Network, o: LegacyDomainOptions): Promise<LegacyDomain> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  const dkim = { domainName: LEGACY_DOMAIN, keySelector: 'fz', privateKey }
  const p = publicKey.toString('base64')
  const r = network.dns.records()
  network.dns.setRecords({
    ...r,
    mx: [...(r.mx ?? []), { name: LEGACY_DOMAIN, exchange: `mx.${LEGACY_DOMAIN}`, priority: 10 }],
    a: [...(r.a ?? []), { name: `mx.${LEGACY_DOMAIN}`, address: '127.0.0.1' }],
    txt: [
      ...(r.txt ?? []),
      { name: LEGACY_DOMAIN, data: 'v=spf1 ip4:127.0.0.1 -all' },
      { name: `_dmarc.${LEGACY_DOMAIN}`, data: 'v=DMARC1; p=reject' },
      { name: `fz._domainkey.${LEGACY_DOMAIN}`, data: `v=DKIM1; k=rsa; p=${p}` },
    ],
  })
  const listeners = new Map<string, InboundSmtp>()
  let postfix: PostfixInstance | undefined
  let timer: NodeJS.Timeout | undefined
  const stop = async () => {
    if (timer) clearInterval(timer)
    await postfix?.stop()
    for (const l of listeners.values()) await l.close()
  }
  try {
    for (const node of network.nodes.values()) {
      if (!node.gateway) throw new Error(`the gateway of ${node.domain} does not run in this process`)
      const port = o.listenerPorts?.[node.domain] ?? 0
      listeners.set(node.domain, await startInboundSmtp(node.gateway.ctx, { port }))
    }
    await mkdir(o.dir, { recursive: true })
    postfix = await startPostfix({
      dir: o.dir,
      port: o.postfixPort,
      domain: LEGACY_DOMAIN,
      mailboxes: ['carol'],
      relay: Object.fromEntries([...listeners].map(([d, l]) => [d, l.port])),
    })
  } catch (e) {
    await stop()
    throw e
  }
  const maildir = path.join(o.dir, 'mail', LEGACY_DOMAIN, 'carol')
  if (o.autoReply) {
    let busy = false
    timer = setInterval(() => {
      if (busy) return
      busy = true
      answerNewMail(maildir, o.postfixPort, dkim)
        .catch(() => {}) // the next tick tries again (a file stays in new/ until answered)
        .finally(() => {
          busy = false
        })
    }, 500)
  }
  return { postfix, listeners, maildir, stop }
}

/** RFC 3834 §2: never answer an automatic message, a list's mail, or a bounce. */
function automatic(headers: Map<string, unknown>, from: string): boolean {
  const auto = String(headers.get('auto-submitted') ?? 'no').toLowerCase()
  return (
    auto !== 'no' ||
    headers.has('list-id') ||
    /^(bulk|list|junk)$/i.test(String(headers.get('precedence') ?? '')) ||
    !from ||
    /^(mailer-daemon|postmaster)@/i.test(from) ||
    from.toLowerCase().endsWith(`@${LEGACY_DOMAIN}`)
  )
}

async function answerNewMail(maildir: string, port: number, dkim: DKIM.Options) {
  const fresh = path.join(maildir, 'new')
  if (!existsSync(fresh)) return
  for (const name of (await readdir(fresh)).sort()) {
    const file = path.join(fresh, name)
    const mail = await simpleParser(await readFile(file))
    const from = mail.from?.value[0]?.address ?? ''
    if (!automatic(mail.headers as Map<string, unknown>, from)) {
      const t = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, dkim })
      try {
        await t.sendMail({
          from: `Carol <carol@${LEGACY_DOMAIN}>`,
          to: from,
          subject: /^re:/i.test(mail.subject ?? '') ? mail.subject : `Re: ${mail.subject ?? ''}`,
          ...(mail.messageId ? { inReplyTo: mail.messageId } : {}),
          references: [
            ...([] as string[]).concat(mail.references ?? []),
            ...(mail.messageId ? [mail.messageId] : []),
          ],
          headers: { 'Auto-Submitted': 'auto-replied' },
          text: [
            `Hello from Carol at ${LEGACY_DOMAIN}, a domain that only speaks SMTP (a private Postfix).`,
            '',
            `Your message "${mail.subject ?? ''}" reached my Maildir over SMTP, DKIM-signed by your domain.`,
            'This answer went back the same way: Postfix relayed it to your domain’s SMTP listener.',
          ].join('\n'),
        })
      } finally {
        t.close()
      }
    }
    // Maildir: a message read (here: answered, or not to be answered) moves from new/ to cur/.
    await mkdir(path.join(maildir, 'cur'), { recursive: true })
    await rename(file, path.join(maildir, 'cur', `${name}:2,S`))
  }
}
