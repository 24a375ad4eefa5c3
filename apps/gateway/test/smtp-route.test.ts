import { readFile } from 'node:fs/promises'
import { type DnsServer, freePort, type Network, sendMail, startDnsServer } from '@federizer/devnet'
import { readMessage } from '@federizer/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startInboundSmtp } from '../src/smtp/inbound-server.ts'
import { createMailDns, mxAddresses, routeLegacy, routeWithoutFederizer } from '../src/smtp/route.ts'
import { db, deliveryStatus, messagesIn, openNetwork, threeDomains, waitFor } from './federation-helpers.ts'

// Issue 12 item 15: a recipient domain that does not exist (NXDOMAIN) or takes no mail (null MX, RFC
// 7505) fails at once with a readable bounce; every other discovery failure stays transient.

describe('routing a domain without Federizer records (RFC 5321 §5.1, RFC 7505), over the devnet DNS', () => {
  let dns: DnsServer
  beforeAll(async () => {
    dns = await startDnsServer({
      records: {
        srv: [{ name: '_federizer._rs._tcp.fz.example', target: 'localhost', port: 1 }],
        mx: [
          { name: 'legacy.example', exchange: 'mx2.legacy.example', priority: 20 },
          { name: 'legacy.example', exchange: 'mx1.legacy.example', priority: 10 },
          { name: 'nullmx.example', exchange: '', priority: 0 },
        ],
        a: [
          { name: 'implicit.example', address: '127.0.0.1' },
          { name: 'dual.example', address: '127.0.0.1' },
        ],
        aaaa: [
          { name: 'v6only.example', address: '::1' },
          { name: 'dual.example', address: '::1' },
        ],
        txt: [{ name: 'txtonly.example', data: 'v=spf1 -all' }],
      },
    })
  })
  afterAll(() => dns?.close())

  it('MX hosts best first; implicit MX on A; NXDOMAIN, null MX and no address are final', async () => {
    const mail = createMailDns({ dnsServers: [dns.address] })
    expect(await routeLegacy(mail, 'legacy.example')).toEqual({
      kind: 'smtp',
      hosts: ['mx1.legacy.example', 'mx2.legacy.example'],
    })
    expect(await routeLegacy(mail, 'implicit.example')).toEqual({ kind: 'smtp', hosts: ['implicit.example'] })
    expect(await routeLegacy(mail, 'nowhere.example')).toEqual({
      kind: 'none',
      reason: 'nowhere.example does not exist; nothing was sent',
    })
    expect(await routeLegacy(mail, 'nullmx.example')).toMatchObject({
      kind: 'none',
      reason: expect.stringMatching(/does not accept mail \(null MX/),
    })
    expect(await routeLegacy(mail, 'txtonly.example')).toMatchObject({
      kind: 'none',
      reason: expect.stringMatching(/has no mail server/),
    })
  })

  it('an MX with only an AAAA record is reached over IPv6; IPv6 is tried first when it has both', async () => {
    const mail = createMailDns({ dnsServers: [dns.address] })
    expect(await routeLegacy(mail, 'v6only.example')).toEqual({ kind: 'smtp', hosts: ['v6only.example'] })
    expect(await mxAddresses(mail, 'v6only.example')).toEqual(['::1'])
    expect(await mxAddresses(mail, 'dual.example')).toEqual(['::1', '127.0.0.1'])
    expect(await mxAddresses(mail, 'implicit.example')).toEqual(['127.0.0.1'])
    expect(await mxAddresses(mail, 'txtonly.example')).toEqual([])
  })

  it('a domain that publishes Federizer SRV records is never routed away, and DNS that does not answer is not final', async () => {
    const mail = createMailDns({ dnsServers: [dns.address] })
    expect((await routeWithoutFederizer(mail, 'fz.example')).kind).toBe('unknown')
    expect((await routeWithoutFederizer(mail, 'nowhere.example')).kind).toBe('none')
    const silent = await startDnsServer()
    const port = silent.port
    await silent.close() // nothing listens there now: the lookup times out
    const dead = createMailDns({ dnsServers: [`127.0.0.1:${port}`] })
    expect((await routeWithoutFederizer(dead, 'nowhere.example')).kind).toBe('unknown')
    expect((await routeLegacy(dead, 'nowhere.example')).kind).toBe('unknown')
  }, 30_000)
})

describe('the outbox bounces mail for a domain that does not exist at once', () => {
  let net: Awaited<ReturnType<typeof openNetwork>>
  let network: Network
  let v6: Awaited<ReturnType<typeof startInboundSmtp>>
  beforeAll(async () => {
    const smtpPort = await freePort()
    net = await openNetwork({ domains: threeDomains(), smtpOutboundPort: smtpPort })
    network = net.network
    // example.net's SMTP listener on the IPv6 loopback only: the MX of v6.example has just an AAAA record.
    v6 = await startInboundSmtp(network.node('example.net').gateway!.ctx, { port: smtpPort, host: '::1' })
    const records = network.dns.records()
    network.dns.setRecords({
      ...records,
      mx: [
        { name: 'nullmx.example', exchange: '', priority: 0 },
        { name: 'legacy.example', exchange: 'mx.legacy.example', priority: 10 },
        { name: 'v6.example', exchange: 'mx.v6.example', priority: 10 },
      ],
      aaaa: [{ name: 'mx.v6.example', address: '::1' }],
    })
  }, 60_000)
  afterAll(async () => {
    await v6?.close()
    await net?.close()
  })

  it('an MX with only an AAAA record is connected to over IPv6 (its reply, a 550, bounces)', {
    timeout: 30_000,
  }, async () => {
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['someone@v6.example'],
      subject: 'To an IPv6 MX',
      text: 'hello',
    })
    const status = await waitFor(async () => {
      const [s] = await deliveryStatus(db(network, 'example.com'), sent.rowId)
      return s?.state === 'bounced' ? s : undefined
    }, 'a bounced status')
    // The refusal came from the listener on [::1]: the connection went over IPv6.
    expect(status.detail).toMatch(
      /^refused_by_policy: .*mx\.v6\.example answered: 550 5\.7\.1 Relaying denied/,
    )
  })

  async function failed(rowId: string) {
    return waitFor(async () => {
      const [s] = await deliveryStatus(db(network, 'example.com'), rowId)
      return s?.state === 'failed' ? s : undefined
    }, 'a failed status')
  }

  it('NXDOMAIN: failed after one attempt, and a notice says the domain does not exist', {
    timeout: 30_000,
  }, async () => {
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['carol@nowhere.example'],
      subject: 'To a typo',
      text: 'hello?',
    })
    expect((await failed(sent.rowId)).detail).toBe('nowhere.example does not exist; nothing was sent')
    const outbox = await db(network, 'example.com')
      .selectFrom('outbox')
      .selectAll()
      .where('message_row_id', '=', sent.rowId)
      .execute()
    expect(outbox.map((o) => [o.state, o.attempts])).toEqual([['failed', 1]])
    const notice = await waitFor(async () => {
      const rows = await messagesIn(db(network, 'example.com'), 'alice@example.com', 'inbox')
      return rows.find((r) => r.subject === 'Undeliverable: To a typo')
    }, 'the bounce notice')
    const m = readMessage(JSON.parse(notice.placeholder))
    const text = await readFile(
      network.node('example.com').gateway!.ctx.federation.resources.path(m.text!.contentId),
    )
    expect(text.toString()).toContain(
      'carol@nowhere.example: nowhere.example does not exist; nothing was sent',
    )
  })

  it('null MX: failed at once with the reason', { timeout: 30_000 }, async () => {
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['x@nullmx.example'],
      subject: 'To a null MX',
      text: 'hello?',
    })
    expect((await failed(sent.rowId)).detail).toMatch(/nullmx\.example does not accept mail/)
  })

  it('a Federizer domain that is down stays queued (transient)', {
    timeout: 30_000,
  }, async () => {
    await network.node('example.org').stop()
    try {
      const sent = await sendMail(network.node('example.com'), {
        from: 'alice@example.com',
        to: ['bob@example.org'],
        subject: 'To a domain that is down',
        text: 'hello?',
      })
      const status = await waitFor(async () => {
        const [s] = await deliveryStatus(db(network, 'example.com'), sent.rowId)
        return s?.detail?.startsWith('attempt 2') ? s : undefined
      }, 'a second attempt')
      expect(status.state).not.toBe('failed')
    } finally {
      await network.node('example.org').start()
    }
  })
})
