import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
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
import { readMessage } from '@federizer/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadDkimKey } from '../src/smtp/dkim-key.ts'
import { type InboundSmtp, startInboundSmtp } from '../src/smtp/inbound-server.ts'
import {
  db,
  deliveryStatus,
  messagesIn,
  openNetwork,
  testBytes,
  threeDomains,
  waitFor,
} from './federation-helpers.ts'
import { dkimKey, legacyDnsRecords } from './smtp-helpers.ts'

// Issue 15, outbound: Alice writes to carol@legacy.test; legacy.test has MX records and no Federizer
// records, so the MTA delivers over SMTP to a real (private) Postfix, DKIM-signed with example.com's key.

const run = promisify(execFile)
let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
let postfix: PostfixInstance
let smtp: InboundSmtp
let pfDir: string

/** Verifies a DKIM signature with Debian's python3-dkim (an implementation no one here wrote). */
async function pythonDkimVerify(message: Buffer, txt: string): Promise<string> {
  const script =
    'import dkim,sys\nmsg=sys.stdin.buffer.read()\ntxt=sys.argv[1].encode()\n' +
    'print(dkim.verify(msg, dnsfunc=lambda name, timeout=5: txt))'
  const child = run('/usr/bin/python3', ['-c', script, txt])
  child.child.stdin?.end(message)
  return (await child).stdout.trim()
}

beforeAll(async () => {
  if (!postfixInstalled()) throw new Error('postfix is not installed: run scripts/test.sh (it installs it)')
  const pfPort = await freePort()
  net = await openNetwork({ domains: threeDomains(), smtpOutboundPort: pfPort })
  network = net.network
  const com = network.node('example.com').gateway!.ctx
  const comKey = await loadDkimKey(com.config)
  network.dns.setRecords({
    ...network.dns.records(),
    ...legacyDnsRecords('legacy.test', dkimKey('legacy.test'), 'none'),
    txt: [...(legacyDnsRecords('legacy.test', dkimKey('legacy.test'), 'none').txt ?? []), comKey.txt],
  })
  smtp = await startInboundSmtp(com, { port: 0 })
  pfDir = await mkdtemp(path.join(tmpdir(), 'fz-postfix-out-'))
  postfix = await startPostfix({
    dir: pfDir,
    port: pfPort,
    domain: 'legacy.test',
    mailboxes: ['carol'],
    relay: { 'example.com': smtp.port },
  })
}, 60_000)

afterAll(async () => {
  await postfix?.stop()
  await smtp?.close()
  await net?.close()
  if (pfDir) await rm(pfDir, { recursive: true, force: true })
})

const resources = () => network.node('example.com').gateway!.ctx.federation.resources

async function inMaildir(subject: string) {
  return waitFor(
    async () => (await postfix.maildir('carol')).find((f) => f.toString().includes(`Subject: ${subject}`)),
    `"${subject}" in Carol's Maildir`,
    45_000,
  ).catch(async (e) => {
    throw new Error(`${(e as Error).message}\n--- postfix log ---\n${(await postfix.log()).slice(-3000)}`)
  })
}

describe('Federizer → Postfix', () => {
  it('Alice → carol@legacy.test lands in the Maildir, DKIM verified by python3-dkim, no Bcc header', {
    timeout: 60_000,
  }, async () => {
    const bytes = testBytes(20_000, 3)
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['carol@legacy.test'],
      bcc: ['bob@example.net'],
      subject: 'Over SMTP',
      text: 'Hello Carol, over SMTP.',
      attachments: [{ filename: 'data.bin', mediaType: 'application/octet-stream', bytes }],
    })
    const file = await inMaildir('Over SMTP')
    const text = file.toString('latin1')
    expect(text).toMatch(/^DKIM-Signature: .*d=example\.com/m)
    expect(text).not.toMatch(/^Bcc:/im)
    expect(text).not.toContain('bob@example.net')
    expect(text).toContain('Hello Carol, over SMTP.')
    expect(text).toContain(bytes.subarray(0, 57).toString('base64'))
    const key = await loadDkimKey(network.node('example.com').gateway!.ctx.config)
    expect(await pythonDkimVerify(file, key.txt.data)).toBe('True')
    // The same check fails once a byte of the body changes: the verifier is really checking.
    expect(
      await pythonDkimVerify(Buffer.from(text.replace('over SMTP.', 'over SMTP!'), 'latin1'), key.txt.data),
    ).toBe('False')
    const status = await waitFor(async () => {
      const rows = await deliveryStatus(db(network, 'example.com'), sent.rowId)
      const s = rows.find((r) => r.recipient === 'carol@legacy.test')
      return s?.state === 'delivered' ? s : undefined
    }, 'delivered status')
    expect(status.state).toBe('delivered')
  })

  it("a 550 from Postfix bounces that recipient with the remote reply, in Alice's inbox", {
    timeout: 60_000,
  }, async () => {
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['nobody@legacy.test'],
      subject: 'To nobody at legacy',
      text: 'hello?',
    })
    const status = await waitFor(async () => {
      const [s] = await deliveryStatus(db(network, 'example.com'), sent.rowId)
      return s?.state === 'bounced' || s?.state === 'failed' ? s : undefined
    }, 'a bounced status')
    // Our classified words first (by the 5.1.1 code), the remote reply after them for the details.
    expect(status.detail).toMatch(
      /^unknown_recipient: no such mailbox at the recipient domain \(mx\.legacy\.test answered: 550 5\.1\.1 <nobody@legacy\.test>/,
    )
    const notice = await waitFor(async () => {
      const rows = await messagesIn(db(network, 'example.com'), 'alice@example.com', 'inbox')
      return rows.find((r) => r.subject === 'Undeliverable: To nobody at legacy')
    }, 'the bounce notice')
    const m = readMessage(JSON.parse(notice.placeholder))
    const noticeText = await import('node:fs/promises').then((fs) =>
      fs.readFile(
        network.node('example.com').gateway!.ctx.federation.resources.path(m.text!.contentId),
        'utf8',
      ),
    )
    expect(noticeText).toMatch(/nobody@legacy\.test: .*answered: 550 5\.1\.1/)
    // The reader shows the HTML part: Postfix's words only inside the closed details disclosure.
    const html = await readFile(resources().path(m.html!.contentId), 'utf8')
    const [visible, details] = html.split('<details>')
    expect(visible).toContain('nobody@legacy.test: there is no mailbox with this address at legacy.test.')
    expect(visible).not.toMatch(/answered|Recipient address rejected|\b550\b/)
    expect(details).toMatch(/answered: 550 5\.1\.1 &lt;nobody@legacy\.test&gt;: Recipient address rejected/)
  })

  it('Postfix down: retried, and delivered once it is back', { timeout: 90_000 }, async () => {
    await postfix.stop()
    let restarted = false
    try {
      const sent = await sendMail(network.node('example.com'), {
        from: 'alice@example.com',
        to: ['carol@legacy.test'],
        subject: 'While Postfix was down',
        text: 'patience',
      })
      const retrying = await waitFor(async () => {
        const [s] = await deliveryStatus(db(network, 'example.com'), sent.rowId)
        return s?.detail?.startsWith('attempt') ? s : undefined
      }, 'a failed attempt')
      expect(retrying.state).not.toBe('failed')
      expect(retrying.detail).toMatch(/could not be reached/)
      await postfix.start()
      restarted = true
      await inMaildir('While Postfix was down')
      await waitFor(
        async () => {
          const [s] = await deliveryStatus(db(network, 'example.com'), sent.rowId)
          return s?.state === 'delivered' ? s : undefined
        },
        'delivered after the restart',
        60_000,
      )
    } finally {
      if (!restarted) await postfix.start().catch(() => {})
    }
  })
})
