import type { Network } from '@federizer/devnet'
import { authenticate } from 'mailauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mailauthResolver } from '../src/smtp/authenticate.ts'
import { type InboundSmtp, startInboundSmtp } from '../src/smtp/inbound-server.ts'
import { db, messagesIn, openNetwork, threeDomains } from './federation-helpers.ts'
import { composeSigned, dkimKey, legacyDnsRecords, sendRaw } from './smtp-helpers.ts'

// Issue 15: ARC (RFC 8617) results are stored with legacy mail and named in its summary beside
// SPF/DKIM/DMARC: a forwarder (lists.test) seals what it passes on; its seal is verified on arrival.

let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
let smtp: InboundSmtp
const author = dkimKey('author.test')
const arcKey = dkimKey('lists.test', 'arc')

beforeAll(async () => {
  net = await openNetwork({ domains: threeDomains() })
  network = net.network
  const a = legacyDnsRecords('author.test', author, 'none')
  const l = legacyDnsRecords('lists.test', arcKey, 'none')
  const r = network.dns.records()
  network.dns.setRecords({
    ...r,
    mx: [...(a.mx ?? []), ...(l.mx ?? [])],
    a: [...(a.a ?? []), ...(l.a ?? [])],
    txt: [...(r.txt ?? []), ...(a.txt ?? []), ...(l.txt ?? [])],
  })
  smtp = await startInboundSmtp(network.node('example.com').gateway!.ctx, { port: 0 })
}, 60_000)

afterAll(async () => {
  await smtp?.close()
  await net?.close()
})

/** What lists.test does when it forwards: authenticates the message, then ARC-seals it (mailauth). */
async function forwardedThroughList(subject: string, tamper = false): Promise<Buffer> {
  const raw = await composeSigned(
    { from: 'ann@author.test', to: 'alice@example.com', subject, text: 'Posted to the list.' },
    author,
  )
  const { headers } = await authenticate(raw, {
    ip: '127.0.0.1',
    helo: 'mx.author.test',
    sender: 'ann@author.test',
    mta: 'mx.lists.test',
    resolver: mailauthResolver(network.node('example.com').config),
    seal: { signingDomain: 'lists.test', selector: 'arc', privateKey: arcKey.privateKey },
  })
  const sealed = Buffer.concat([Buffer.from(headers), raw])
  return tamper ? Buffer.from(sealed.toString('latin1').replace('Posted', 'Altered'), 'latin1') : sealed
}

async function arrived(subject: string) {
  const rows = await messagesIn(db(network, 'example.com'), 'alice@example.com', 'inbox')
  const row = rows.find((x) => x.subject === subject)
  expect(row).toBeDefined()
  return JSON.parse(row!.chain_verification ?? '{}').legacy
}

describe('ARC on mail that came through a forwarder', () => {
  it('a valid seal: ARC pass d=lists.test, stored and named in the summary', {
    timeout: 30_000,
  }, async () => {
    await sendRaw(
      smtp.port,
      'bounces@lists.test',
      ['alice@example.com'],
      await forwardedThroughList('Sealed'),
    )
    const legacy = await arrived('Sealed')
    expect(legacy.arc).toEqual({ result: 'pass', instance: 1, domain: 'lists.test' })
    expect(legacy.summary).toMatch(/; DMARC pass; ARC pass d=lists\.test$/)
  })

  it('a message changed after sealing: ARC fail', { timeout: 30_000 }, async () => {
    const raw = await forwardedThroughList('Altered after sealing', true)
    await sendRaw(smtp.port, 'bounces@lists.test', ['alice@example.com'], raw)
    const legacy = await arrived('Altered after sealing')
    expect(legacy.arc.result).toBe('fail')
    expect(legacy.summary).toMatch(/; ARC fail/)
  })

  it('no ARC headers: ARC none, and the summary does not mention it', { timeout: 30_000 }, async () => {
    const raw = await composeSigned(
      { from: 'ann@author.test', to: 'alice@example.com', subject: 'Direct', text: 'x' },
      author,
    )
    await sendRaw(smtp.port, 'ann@author.test', ['alice@example.com'], raw)
    const legacy = await arrived('Direct')
    expect(legacy.arc).toEqual({ result: 'none' })
    expect(legacy.summary).not.toMatch(/; ARC /)
  })

  it('a client name that is not a host name is not repeated in the summary', {
    timeout: 30_000,
  }, async () => {
    const raw = await composeSigned({
      from: 'ann@author.test',
      to: 'alice@example.com',
      subject: 'Odd HELO',
      text: 'x',
    })
    const nodemailer = (await import('nodemailer')).default
    const t = nodemailer.createTransport({
      host: '127.0.0.1',
      port: smtp.port,
      ignoreTLS: true,
      name: 'CLICK_HERE_for_prizes',
    })
    await t.sendMail({ envelope: { from: 'ann@author.test', to: ['alice@example.com'] }, raw })
    t.close()
    const legacy = await arrived('Odd HELO')
    expect(legacy.summary).toMatch(
      /^Received over SMTP from (an unnamed client|[a-z0-9.-]+) \[127\.0\.0\.1\]/,
    )
    expect(legacy.summary).not.toContain('CLICK_HERE')
  })
})
