import { execFile } from 'node:child_process'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import {
  freePort,
  type Network,
  type PostfixInstance,
  postfixInstalled,
  sendMail,
  startPostfix,
} from '@federizer/devnet'
import nodemailer from 'nodemailer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadDkimKey } from '../src/smtp/dkim-key.ts'
import { type InboundSmtp, startInboundSmtp } from '../src/smtp/inbound-server.ts'
import { db, messagesIn, openNetwork, threeDomains, waitFor } from './federation-helpers.ts'
import { composeSigned, dkimKey, legacyDnsRecords, sendRaw } from './smtp-helpers.ts'

// Issue 15, STARTTLS both ways against a real Postfix (RFC 3207): inbound with the domain's certificate
// when one is configured, outbound opportunistic (RFC 7435: an unverifiable certificate still encrypts).

const run = promisify(execFile)
let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
let smtp: InboundSmtp
let plain: InboundSmtp
let postfix: PostfixInstance
let dir: string
const dkim = dkimKey('legacy.test')

/** A self-signed certificate made by openssl for `name` (key and cert as PEM files in `dir`). */
async function selfSigned(name: string) {
  const keyFile = path.join(dir, `${name}.key`)
  const certFile = path.join(dir, `${name}.crt`)
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ])
  return { keyFile, certFile }
}

beforeAll(async () => {
  if (!postfixInstalled()) throw new Error('postfix is not installed: run scripts/test.sh (it installs it)')
  dir = await mkdtemp(path.join(tmpdir(), 'fz-smtp-tls-'))
  await chmod(dir, 0o755) // Postfix's own user reaches its folder inside
  const pfPort = await freePort()
  net = await openNetwork({ domains: threeDomains(), smtpOutboundPort: pfPort })
  network = net.network
  const com = network.node('example.com').gateway!.ctx
  const legacy = legacyDnsRecords('legacy.test', dkim, 'none')
  network.dns.setRecords({
    ...network.dns.records(),
    ...legacy,
    txt: [...(legacy.txt ?? []), (await loadDkimKey(com.config)).txt],
  })
  smtp = await startInboundSmtp(com, { port: 0, tls: await selfSigned('mx.example.com') })
  plain = await startInboundSmtp(com, { port: 0 })
  postfix = await startPostfix({
    dir: path.join(dir, 'postfix'),
    port: pfPort,
    domain: 'legacy.test',
    mailboxes: ['carol'],
    relay: { 'example.com': smtp.port },
    tls: await selfSigned('mx.legacy.test'),
  })
}, 60_000)

afterAll(async () => {
  await postfix?.stop()
  await smtp?.close()
  await plain?.close()
  await net?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const withPostfixLog = async (e: unknown) => {
  throw new Error(`${(e as Error).message}\n--- postfix log ---\n${(await postfix.log()).slice(-3000)}`)
}

describe('STARTTLS with a real Postfix', () => {
  it("inbound: Postfix relays over TLS to the listener that has the domain's certificate", {
    timeout: 60_000,
  }, async () => {
    const raw = await composeSigned(
      { from: 'carol@legacy.test', to: 'alice@example.com', subject: 'Over TLS', text: 'secret' },
      dkim,
    )
    await sendRaw(postfix.port, 'carol@legacy.test', ['alice@example.com'], raw)
    const row = await waitFor(
      async () =>
        (await messagesIn(db(network, 'example.com'), 'alice@example.com', 'inbox')).find(
          (r) => r.subject === 'Over TLS',
        ),
      '"Over TLS" in the inbox',
      45_000,
    ).catch(withPostfixLog)
    expect(JSON.parse(row.chain_verification ?? '{}').legacy.client.tls).toBe(true)
    expect(await postfix.log()).toMatch(
      new RegExp(`TLS connection established to 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${smtp.port}`),
    )
  })

  it('inbound without a certificate: STARTTLS is not offered, so a client requiring it gives up', {
    timeout: 30_000,
  }, async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: plain.port, requireTLS: true })
    try {
      await expect(t.verify()).rejects.toThrow(/STARTTLS/)
    } finally {
      t.close()
    }
    // The same client is happy with the listener that has a certificate.
    const tls = nodemailer.createTransport({
      host: '127.0.0.1',
      port: smtp.port,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
    })
    try {
      expect(await tls.verify()).toBe(true)
    } finally {
      tls.close()
    }
  })

  it('outbound: Alice → carol@legacy.test is encrypted by opportunistic STARTTLS (self-signed MX)', {
    timeout: 60_000,
  }, async () => {
    await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['carol@legacy.test'],
      subject: 'Out over TLS',
      text: 'Hello Carol, encrypted.',
    })
    const file = await waitFor(
      async () =>
        (await postfix.maildir('carol')).find((f) => f.toString().includes('Subject: Out over TLS')),
      '"Out over TLS" in the Maildir',
      45_000,
    ).catch(withPostfixLog)
    // Postfix's Received header records the TLS session it accepted the message over.
    const received = /^Received: from [\s\S]*?(?=^\S)/m.exec(file.toString('latin1'))?.[0] ?? ''
    expect(received).toMatch(/\(using TLSv1\.[23] with cipher/)
  })
})
