import { readdir } from 'node:fs/promises'
import path from 'node:path'
import type { Network } from '@federizer/devnet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type InboundSmtp, startInboundSmtp } from '../src/smtp/inbound-server.ts'
import { db, messagesIn, openNetwork, threeDomains } from './federation-helpers.ts'
import { composeSigned, dkimKey, legacyDnsRecords, sendRaw, smtpDialogue } from './smtp-helpers.ts'

// Issue 15, inbound bad input: each gets a clear SMTP reply, and nothing is stored — no message row in
// any mailbox and no file in the resource store. DMARC p=reject → 550 5.7.1 at DATA; p=quarantine → Junk.

let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
let smtp: InboundSmtp

beforeAll(async () => {
  net = await openNetwork({ domains: threeDomains() })
  network = net.network
  const reject = legacyDnsRecords('legacy.test', dkimKey('legacy.test'), 'reject')
  const quarantine = legacyDnsRecords('quarantine.test', dkimKey('quarantine.test'), 'quarantine')
  network.dns.setRecords({
    ...network.dns.records(),
    mx: [...(reject.mx ?? []), ...(quarantine.mx ?? [])],
    a: [...(reject.a ?? []), ...(quarantine.a ?? [])],
    txt: [...(network.dns.records().txt ?? []), ...(reject.txt ?? []), ...(quarantine.txt ?? [])],
  })
  smtp = await startInboundSmtp(network.node('example.com').gateway!.ctx, {
    port: 0,
    maxMessageBytes: 2 * 1024 * 1024,
    maxRecipients: 1,
  })
}, 60_000)

afterAll(async () => {
  await smtp?.close()
  await net?.close()
})

const box = (role: string) => messagesIn(db(network, 'example.com'), 'alice@example.com', role)
const inbox = () => box('inbox')

/** Every file under the resource store (content-addressed shards and temp files alike). */
async function storedFiles(): Promise<string[]> {
  const root = network.node('example.com').gateway!.ctx.federation.resources.dir
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name))
}

async function allRows(): Promise<number> {
  const rows = await db(network, 'example.com').selectFrom('messages').select('id').execute()
  return rows.length
}

const hello = [
  'EHLO client.test\r\n',
  'MAIL FROM:<carol@legacy.test>\r\n',
  'RCPT TO:<alice@example.com>\r\n',
  'DATA\r\n',
]

/** One SMTP transaction with `body` as DATA (ending in CRLF.CRLF); checks nothing was stored. */
async function refused(body: string | Buffer): Promise<string> {
  const [rows, files] = [await allRows(), await storedFiles()]
  const replies = await smtpDialogue(smtp.port, [...hello, body])
  expect(await allRows()).toBe(rows)
  expect(await storedFiles()).toEqual(files)
  return replies.at(-1) ?? ''
}

const mail = (headers: string, body: string) =>
  `From: carol@legacy.test\r\nTo: alice@example.com\r\n${headers}\r\n${body}\r\n.\r\n`

describe('the SMTP listener refuses bad input with a clear reply and stores nothing', () => {
  it('announces SIZE and refuses an oversize message with 552 (enforced while it streams)', {
    timeout: 30_000,
  }, async () => {
    const [, ehlo] = await smtpDialogue(smtp.port, ['EHLO client.test\r\n'])
    expect(ehlo).toMatch(/^250 SIZE 2097152$/)
    const big = `${'y'.repeat(1000)}\r\n`.repeat(2200)
    expect(await refused(mail('Subject: big\r\n', big))).toMatch(/^552 5\.3\.4 Message too big/)
  })

  it('bare LF and the smuggling sequences \\n.\\n and \\r\\n.\\n are refused (554 5.6.0)', {
    timeout: 30_000,
  }, async () => {
    expect(await refused('Subject: lf\r\n\r\nline one\nline two\r\n.\r\n')).toMatch(/^554 5\.6\.0 Bare LF/)
    for (const end of ['\r\n.\n', '\n.\n', '\n.\r\n']) {
      const smuggled = `Subject: s\r\n\r\nhello${end}MAIL FROM:<x@evil.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nboo\r\n.\r\n`
      expect(await refused(smuggled)).toMatch(/^554 5\.6\.0 Bare LF/)
    }
    expect((await inbox()).map((r) => r.subject)).not.toContain('smuggled')
  })

  it('NUL bytes are refused', { timeout: 30_000 }, async () => {
    expect(await refused(Buffer.from(mail('Subject: nul\r\n', 'a\0b'), 'latin1'))).toMatch(/^554 5\.6\.0 NUL/)
  })

  it('deeply nested multiparts are refused: too many of them, or nested too deep', {
    timeout: 30_000,
  }, async () => {
    const nested = (levels: number) => {
      let body = 'Content-Type: text/plain\r\n\r\ntext\r\n'
      for (let i = 0; i < levels; i++)
        body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}--b${i}--\r\n`
      return `From: carol@legacy.test\r\nSubject: nested\r\n${body}.\r\n`
    }
    expect(await refused(nested(40))).toMatch(/^554 5\.6\.0 Too many nested multipart bodies/)
    expect(await refused(nested(20))).toMatch(/^554 5\.6\.0 Malformed MIME: more than 12 nested body parts/)
  })

  it.each([
    [
      'a header line that is not a header field',
      'Subject: x\r\nthis line has no colon\r\n',
      'body',
      /header section has a line that is not a header field/,
    ],
    [
      'no header section at all',
      '',
      'just some text without headers',
      /header section has a line that is not a header field/,
    ],
    [
      'a multipart body without a boundary',
      'Content-Type: multipart/mixed\r\n',
      '--x\r\n\r\nhi\r\n--x--',
      /multipart\/mixed body has no boundary parameter/,
    ],
    [
      'a multipart body with no body part',
      'Content-Type: multipart/mixed; boundary=x\r\n',
      'nothing here',
      /multipart\/mixed body has no body part/,
    ],
  ])('malformed MIME: %s → 554 5.6.0', { timeout: 30_000 }, async (_, headers, body, message) => {
    const raw = headers === '' ? `${body}\r\n.\r\n` : mail(headers, body)
    const reply = await refused(raw)
    expect(reply).toMatch(/^554 5\.6\.0 Malformed MIME: /)
    expect(reply).toMatch(message)
  })

  it.each([
    [
      'base64 outside its alphabet',
      'Content-Transfer-Encoding: base64\r\n',
      'aGVsbG8*!!gd29ybGQ=',
      /base64 alphabet/,
    ],
    [
      'a quoted-printable "=" that is no escape',
      'Content-Transfer-Encoding: quoted-printable\r\n',
      'caf=E9 and 100=ZZ',
      /quoted-printable part has an "=" that is not an escape/,
    ],
    [
      'an unknown transfer encoding',
      'Content-Transfer-Encoding: x-rot13\r\n',
      'uryyb',
      /unknown Content-Transfer-Encoding "x-rot13"/,
    ],
    [
      '8-bit header bytes that are not UTF-8',
      'Subject: caf\xe9\r\n',
      'hello',
      /8-bit bytes that are not UTF-8/,
    ],
  ])('broken encoding: %s → 554 5.6.0', { timeout: 30_000 }, async (_, headers, body, message) => {
    const reply = await refused(Buffer.from(mail(headers, body), 'latin1'))
    expect(reply).toMatch(/^554 5\.6\.0 Broken encoding: /)
    expect(reply).toMatch(message)
  })

  it('well-formed escapes, soft line breaks and a missing closing delimiter are accepted', {
    timeout: 30_000,
  }, async () => {
    const qp = mail(
      'Subject: fine qp\r\nContent-Transfer-Encoding: quoted-printable\r\n',
      `caf=C3=A9 =3D 1 and a long line=\r\n that goes on=20\r\n`,
    )
    expect((await smtpDialogue(smtp.port, [...hello, qp])).at(-1)).toMatch(/^250/)
    const unclosed = mail(
      'Subject: unclosed\r\nContent-Type: multipart/mixed; boundary=x\r\n',
      '--x\r\nContent-Type: text/plain\r\n\r\nthe part that came\r\n',
    )
    expect((await smtpDialogue(smtp.port, [...hello, unclosed])).at(-1)).toMatch(/^250/)
    expect((await inbox()).map((r) => r.subject)).toEqual(expect.arrayContaining(['fine qp', 'unclosed']))
  })

  it('too many recipients get 452 4.5.3 (this listener takes one per message)', {
    timeout: 30_000,
  }, async () => {
    const replies = await smtpDialogue(smtp.port, [
      'EHLO client.test\r\n',
      'MAIL FROM:<carol@legacy.test>\r\n',
      ...['alice', 'carol'].map((u) => `RCPT TO:<${u}@example.com>\r\n`),
    ])
    expect(replies.at(-1)).toMatch(/^452 4\.5\.3 Too many recipients/)
    expect(replies.at(-2)).toMatch(/^250/)
  })

  it('no From and an empty envelope sender → 550, nothing stored', { timeout: 30_000 }, async () => {
    const replies = await smtpDialogue(smtp.port, [
      'EHLO client.test\r\n',
      'MAIL FROM:<>\r\n',
      'RCPT TO:<alice@example.com>\r\n',
      'DATA\r\n',
      'Subject: anonymous\r\n\r\nwho am I\r\n.\r\n',
    ])
    expect(replies.at(-1)).toMatch(/^550 5\.6\.0 The message has no From address/)
    expect((await inbox()).map((r) => r.subject)).not.toContain('anonymous')
  })
})

describe('DMARC policy at DATA (RFC 7489 §6.3)', () => {
  const forged = (domain: string, subject: string) =>
    composeSigned({ from: `carol@${domain}`, to: 'alice@example.com', subject, text: 'x' })

  it('a failure under p=reject is refused with 550 5.7.1, nothing stored', { timeout: 30_000 }, async () => {
    const [rows, files] = [await allRows(), await storedFiles()]
    await expect(
      sendRaw(smtp.port, 'someone@other.test', ['alice@example.com'], await forged('legacy.test', 'Forged')),
    ).rejects.toMatchObject({
      responseCode: 550,
      response: expect.stringMatching(/5\.7\.1 Rejected by the DMARC policy of legacy\.test/),
    })
    expect(await allRows()).toBe(rows)
    expect(await storedFiles()).toEqual(files)
  })

  it('a failure under p=quarantine is accepted into Junk, never the inbox, with DMARC fail shown', {
    timeout: 30_000,
  }, async () => {
    const raw = await forged('quarantine.test', 'Suspicious')
    await sendRaw(smtp.port, 'someone@other.test', ['alice@example.com'], raw)
    const junk = (await box('junk')).find((r) => r.subject === 'Suspicious')
    expect(junk).toBeDefined()
    expect(JSON.parse(junk!.chain_verification ?? '{}').legacy.dmarc).toMatchObject({
      result: 'fail',
      policy: 'quarantine',
    })
    expect((await inbox()).map((r) => r.subject)).not.toContain('Suspicious')
  })

  it('relaying for another domain is refused at RCPT', { timeout: 30_000 }, async () => {
    await expect(
      sendRaw(smtp.port, 'carol@legacy.test', ['bob@example.net'], Buffer.from('Subject: x\r\n\r\nx\r\n')),
    ).rejects.toMatchObject({ responseCode: 550, response: expect.stringMatching(/5\.7\.1 Relaying denied/) })
  })
})
