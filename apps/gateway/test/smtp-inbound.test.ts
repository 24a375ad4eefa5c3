import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Network, type PostfixInstance, postfixInstalled, startPostfix } from '@federizer/devnet'
import { listResources, readMessage } from '@federizer/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type InboundSmtp, startInboundSmtp } from '../src/smtp/inbound-server.ts'
import { db, messagesIn, openNetwork, testBytes, threeDomains, waitFor } from './federation-helpers.ts'
import { composeSigned, dkimKey, legacyDnsRecords, sendRaw } from './smtp-helpers.ts'

// Issue 15, inbound: a real Postfix (private instance) relays mail for example.com to its Federizer
// SMTP listener; the message becomes a Placeholder Message in Alice's inbox with SPF/DKIM/DMARC results.

let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
let smtp: InboundSmtp
let postfix: PostfixInstance
let pfDir: string
const dkim = dkimKey('legacy.test')

beforeAll(async () => {
  if (!postfixInstalled()) throw new Error('postfix is not installed: run scripts/test.sh (it installs it)')
  net = await openNetwork({ domains: threeDomains() })
  network = net.network
  const legacy = legacyDnsRecords('legacy.test', dkim, 'reject')
  network.dns.setRecords({ ...network.dns.records(), ...legacy })
  smtp = await startInboundSmtp(network.node('example.com').gateway!.ctx, {
    port: 0,
  })
  pfDir = await mkdtemp(path.join(tmpdir(), 'fz-postfix-'))
  postfix = await startPostfix({
    dir: pfDir,
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

const inbox = () => messagesIn(db(network, 'example.com'), 'alice@example.com', 'inbox')
const resources = () => network.node('example.com').gateway!.ctx.federation.resources

async function arrived(subject: string) {
  return waitFor(
    async () => (await inbox()).find((r) => r.subject === subject),
    `"${subject}" in Alice's inbox`,
    45_000,
  ).catch(async (e) => {
    throw new Error(`${(e as Error).message}\n--- postfix log ---\n${(await postfix.log()).slice(-3000)}`)
  })
}

describe('Postfix → Federizer', () => {
  it('a DKIM-signed message from legacy.test arrives with its attachment byte-exact and SPF/DKIM/DMARC pass', {
    timeout: 60_000,
  }, async () => {
    const image = testBytes(300_000, 7)
    const raw = await composeSigned(
      {
        from: 'Carol <carol@legacy.test>',
        to: 'Alice <alice@example.com>',
        subject: 'Hello from SMTP',
        messageId: '<hello-1@legacy.test>',
        inReplyTo: '<earlier@example.com>',
        references: ['<earlier@example.com>'],
        text: 'Hi Alice, a picture.',
        html: '<p>Hi Alice, a <b>picture</b>.</p>',
        attachments: [{ filename: 'photo.bin', content: image, contentType: 'application/octet-stream' }],
      },
      dkim,
    )
    await sendRaw(postfix.port, 'carol@legacy.test', ['alice@example.com'], raw)
    const row = await arrived('Hello from SMTP')
    const m = readMessage(JSON.parse(row.placeholder))
    expect(m.from?.address).toBe('carol@legacy.test')
    expect(m.messageId).toBe('<hello-1@legacy.test>')
    expect(m.inReplyTo).toBe('<earlier@example.com>')
    const attachment = listResources(JSON.parse(row.placeholder)).find((r) => r.filename === 'photo.bin')
    expect(attachment?.size).toBe(image.length)
    expect((await readFile(resources().path(attachment!.contentId))).equals(image)).toBe(true)
    // The text body is kept in the database with the copy (small-resources.ts), the picture as a file.
    expect((await resources().readSmall(m.text!.contentId, 4096))?.toString()).toContain(
      'Hi Alice, a picture.',
    )
    const legacy = JSON.parse(row.chain_verification ?? '{}').legacy
    expect(legacy.spf.result).toBe('pass')
    expect(legacy.dkim).toEqual([expect.objectContaining({ result: 'pass', domain: 'legacy.test' })])
    expect(legacy.dmarc.result).toBe('pass')
    expect(legacy.summary).toMatch(
      /^Received over SMTP from .*\[127\.0\.0\.1\]; SPF pass; DKIM pass d=legacy\.test; DMARC pass$/,
    )
  })

  it('a tampered message arrives with DKIM fail shown', { timeout: 60_000 }, async () => {
    const raw = await composeSigned(
      { from: 'carol@legacy.test', to: 'alice@example.com', subject: 'Tampered', text: 'Pay 10 euros.' },
      dkim,
    )
    const tampered = Buffer.from(raw.toString('latin1').replace('Pay 10 euros.', 'Pay 99 euros.'), 'latin1')
    await sendRaw(postfix.port, 'carol@legacy.test', ['alice@example.com'], tampered)
    const row = await arrived('Tampered')
    const legacy = JSON.parse(row.chain_verification ?? '{}').legacy
    expect(legacy.dkim[0]).toMatchObject({ result: 'fail', comment: 'body hash did not verify' })
    expect(legacy.summary).toContain('DKIM fail d=legacy.test')
  })

  it('an unknown user gets 550 5.1.1 at RCPT TO, and Postfix bounces it to the sender', {
    timeout: 60_000,
  }, async () => {
    await expect(
      sendRaw(smtp.port, 'carol@legacy.test', ['nobody@example.com'], Buffer.from('Subject: x\r\n\r\nx\r\n')),
    ).rejects.toMatchObject({ responseCode: 550, response: expect.stringMatching(/5\.1\.1/) })
    await sendRaw(
      postfix.port,
      'carol@legacy.test',
      ['nobody@example.com'],
      Buffer.from('Subject: lost\r\n\r\nx\r\n'),
    )
    const bounce = await waitFor(
      async () => {
        const files = await postfix.maildir('carol')
        return files.find((f) => f.toString().includes('nobody@example.com'))
      },
      "a bounce in Carol's Maildir",
      45_000,
    )
    expect(bounce.toString()).toMatch(/550 5\.1\.1/)
  })
})
