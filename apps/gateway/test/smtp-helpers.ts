import { generateKeyPairSync } from 'node:crypto'
import net from 'node:net'
import type { DnsRecords } from '@federizer/devnet'
import nodemailer, { type SendMailOptions } from 'nodemailer'

/** An RSA DKIM key pair and its TXT record (RFC 6376 §3.6.1). */
export function dkimKey(domain: string, selector = 'fz') {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
  return {
    domain,
    selector,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    txt: { name: `${selector}._domainkey.${domain}`, data: `v=DKIM1; k=rsa; p=${p}` },
  }
}

/** SPF (127.0.0.1 only), DMARC and DKIM TXT records for a legacy domain. */
export function legacyDnsRecords(
  domain: string,
  dkim: ReturnType<typeof dkimKey>,
  dmarc = 'reject',
): DnsRecords {
  return {
    mx: [{ name: domain, exchange: `mx.${domain}`, priority: 10 }],
    a: [{ name: `mx.${domain}`, address: '127.0.0.1' }],
    txt: [
      { name: domain, data: 'v=spf1 ip4:127.0.0.1 -all' },
      { name: `_dmarc.${domain}`, data: `v=DMARC1; p=${dmarc}` },
      dkim.txt,
    ],
  }
}

/** A MIME message built and DKIM-signed by nodemailer (MailComposer), as bytes. */
export async function composeSigned(
  mail: SendMailOptions,
  dkim?: ReturnType<typeof dkimKey>,
): Promise<Buffer> {
  const t = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
    ...(dkim
      ? { dkim: { domainName: dkim.domain, keySelector: dkim.selector, privateKey: dkim.privateKey } }
      : {}),
  })
  const info = await t.sendMail(mail)
  return info.message as Buffer
}

/** Sends raw bytes as the message of one SMTP transaction (nodemailer's SMTP client, no TLS). */
export async function sendRaw(port: number, from: string, to: string[], raw: Buffer) {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true })
  try {
    return await t.sendMail({ envelope: { from, to }, raw })
  } finally {
    t.close()
  }
}

/**
 * A hand-driven SMTP dialogue over a raw socket (for bytes a well-behaved client would never send):
 * each step is written as is and the reply code is collected.
 */
export async function smtpDialogue(port: number, steps: Array<string | Buffer>): Promise<string[]> {
  const socket = net.connect(port, '127.0.0.1')
  const replies: string[] = []
  let buffer = ''
  let waiting: ((line: string) => void) | undefined
  socket.on('data', (d) => {
    buffer += d.toString('latin1')
    let m: RegExpMatchArray | null
    // biome-ignore lint/suspicious/noAssignInExpressions: reading complete replies as they arrive
    while ((m = buffer.match(/^(\d{3}) [^\r\n]*\r\n/m)) && m.index !== undefined) {
      const end = m.index + m[0].length
      const reply = buffer.slice(0, end).trim().split('\r\n').pop() ?? ''
      buffer = buffer.slice(end)
      const w = waiting
      waiting = undefined
      if (w) w(reply)
      else replies.push(reply)
    }
  })
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const r = replies.shift()
      if (r !== undefined) return resolve(r)
      const timer = setTimeout(() => reject(new Error('no SMTP reply')), 20_000)
      waiting = (line) => {
        clearTimeout(timer)
        resolve(line)
      }
    })
  const out = [await next()]
  for (const step of steps) {
    socket.write(step)
    out.push(await next())
  }
  socket.end()
  return out
}
