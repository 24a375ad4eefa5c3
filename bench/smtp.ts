import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { postfixInstalled, sendMail, startNetwork, startPostfix } from '@federizer/devnet'
import { startInboundSmtp } from '@federizer/gateway'
import nodemailer from 'nodemailer'
import type { Section } from './report.ts'

const body = 'x'.repeat(76).concat('\r\n').repeat(52) // ~4 KB of text

async function until(probe: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Sends `n` 4 KB messages over a pool of 4 SMTP connections and returns the seconds it took. */
async function blast(port: number, n: number, from: string, to: string): Promise<number> {
  const t = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    pool: true,
    maxConnections: 4,
    ignoreTLS: true,
  })
  const start = performance.now()
  await Promise.all(
    Array.from({ length: n }, (_, i) => t.sendMail({ from, to, subject: `bench ${i}`, text: body })),
  )
  t.close()
  return (performance.now() - start) / 1000
}

/**
 * Issue 15: inbound SMTP → inbox msg/s, outbound Federizer → Postfix msg/s, and Postfix's own relay
 * rate (SMTP in → Maildir) in the same run, for 4 KB messages, against a private Postfix.
 */
export async function benchSmtp(o: { messages: number }): Promise<Section> {
  const title = '7. SMTP bridge'
  if (!postfixInstalled())
    return { title, method: 'Postfix is not installed (scripts/test.sh installs it).', rows: [] }
  const dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-bench-smtp-'))
  // Its own folder: Postfix's user must traverse it (the data root is 0700).
  const pfDir = await mkdtemp(path.join(tmpdir(), 'fz-bench-postfix-'))
  const { freePort } = await import('@federizer/devnet')
  const pfPort = await freePort()
  const network = await startNetwork({
    dataRoot,
    smtpOutboundPort: pfPort,
    domains: [
      { domain: 'example.com', users: [{ email: 'alice@example.com', password: 'bench-password-1' }] },
    ],
  })
  const dns = network.dns
  dns.setRecords({
    ...dns.records(),
    mx: [...(dns.records().mx ?? []), { name: 'legacy.test', exchange: 'mx.legacy.test', priority: 10 }],
    a: [...(dns.records().a ?? []), { name: 'mx.legacy.test', address: '127.0.0.1' }],
  })
  const ctx = network.node('example.com').gateway!.ctx
  const smtp = await startInboundSmtp(ctx, { port: 0 })
  const postfix = await startPostfix({
    dir: pfDir,
    port: pfPort,
    domain: 'legacy.test',
    mailboxes: ['carol'],
    relay: { 'example.com': smtp.port },
  })
  try {
    const n = o.messages
    const inboundSeconds = await blast(smtp.port, n, 'carol@legacy.test', 'alice@example.com')
    const relayStart = performance.now()
    await blast(postfix.port, n, 'x@legacy.test', 'carol@legacy.test')
    await until(async () => (await postfix.maildir('carol')).length >= n, 120_000)
    const relaySeconds = (performance.now() - relayStart) / 1000
    const outStart = performance.now()
    for (let i = 0; i < n; i++)
      await sendMail(network.node('example.com'), {
        from: 'alice@example.com',
        to: ['carol@legacy.test'],
        subject: `out ${i}`,
        text: body,
      })
    await until(async () => (await postfix.maildir('carol')).length >= 2 * n, 300_000)
    const outSeconds = (performance.now() - outStart) / 1000
    const row = (figure: string, seconds: number, note: string) => ({
      figure,
      value: `${(n / seconds).toFixed(1)} msg/s`,
      runs: 1,
      note: `${n} messages in ${seconds.toFixed(1)} s; ${note}`,
    })
    return {
      title,
      method: `${n} messages of 4 KB each way on loopback, one run, against a private Postfix 3.7 (virtual Maildir delivery). Inbound: 4 SMTP connections straight to the Federizer listener; each 250 comes after SPF/DKIM/DMARC, MIME parsing and the durable commit. Outbound: sent one by one through the mailbox api, timed until the last file is in the Maildir (DKIM-signed, the MTA's queue). Postfix: the same 4 KB messages through Postfix's smtpd into its own Maildir.`,
      rows: [
        row('Inbound SMTP → inbox', inboundSeconds, '250 only after the durable commit'),
        row('Outbound Federizer → Postfix', outSeconds, 'send via api → queue → SMTP → Maildir'),
        row('Postfix relay (SMTP → Maildir), same run', relaySeconds, 'reference'),
      ],
    }
  } finally {
    await postfix.stop()
    await smtp.close()
    await network.stop()
    await rm(dataRoot, { recursive: true, force: true })
    await rm(pfDir, { recursive: true, force: true })
  }
}
