import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  freePort,
  type Network,
  type PostfixInstance,
  startInboundSmtp,
  startNetwork,
  startPostfix,
} from '@federizer/devnet'
import nodemailer from 'nodemailer'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { launchBrowser, openPage, shot, signIn, type TestPage } from './browser.ts'

// Issue 15: Alice writes to carol@legacy.test (a real, private Postfix); Carol's reply, injected through
// Postfix, shows in the same conversation with its SPF/DKIM/DMARC results.

let network: Network
let dataRoot: string
let pfDir: string
let postfix: PostfixInstance
let smtp: { close(): Promise<void> }
let browser: Browser
let alice: TestPage
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const dkimPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const dkimTxt = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-web-smtp-'))
  pfDir = await mkdtemp(path.join(tmpdir(), 'fz-web-postfix-'))
  const pfPort = await freePort()
  network = await startNetwork({
    dataRoot,
    smtpOutboundPort: pfPort,
    domains: [
      {
        domain: 'example.com',
        users: [{ email: 'alice@example.com', password: 'alice-password-1', name: 'Alice' }],
      },
    ],
  })
  const r = network.dns.records()
  network.dns.setRecords({
    ...r,
    mx: [...(r.mx ?? []), { name: 'legacy.test', exchange: 'mx.legacy.test', priority: 10 }],
    a: [...(r.a ?? []), { name: 'mx.legacy.test', address: '127.0.0.1' }],
    txt: [
      ...(r.txt ?? []),
      { name: 'legacy.test', data: 'v=spf1 ip4:127.0.0.1 -all' },
      { name: '_dmarc.legacy.test', data: 'v=DMARC1; p=reject' },
      { name: 'fz._domainkey.legacy.test', data: dkimTxt },
    ],
  })
  const inbound = await startInboundSmtp(network.node('example.com').gateway!.ctx, { port: 0 })
  smtp = inbound
  postfix = await startPostfix({
    dir: pfDir,
    port: pfPort,
    domain: 'legacy.test',
    mailboxes: ['carol'],
    relay: { 'example.com': inbound.port },
  })
  browser = await launchBrowser()
  alice = await openPage(browser)
  await signIn(alice.page, network.node('example.com').apiUrl, 'alice@example.com', 'alice-password-1')
}, 90_000)

afterAll(async () => {
  await browser?.close()
  await postfix?.stop()
  await smtp?.close()
  await network?.stop()
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true })
  if (pfDir) await rm(pfDir, { recursive: true, force: true })
})

describe('the SMTP bridge in Chromium', () => {
  it("Alice writes to carol@legacy.test; Carol's reply joins the conversation with SPF/DKIM/DMARC", {
    timeout: 120_000,
  }, async () => {
    const page = alice.page
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.getByLabel('To').fill('carol@legacy.test,')
    await compose.getByLabel('Subject').fill('Lunch on Friday?')
    await compose.getByLabel('Message text').fill('Hi Carol, lunch on Friday?')
    await compose.getByRole('button', { name: 'Send' }).click()
    await compose.waitFor({ state: 'detached' })
    let sent: string | undefined
    for (let i = 0; i < 300 && !sent; i++) {
      sent = (await postfix.maildir('carol'))
        .map((f) => f.toString())
        .find((t) => t.includes('Lunch on Friday?'))
      if (!sent) await new Promise((r) => setTimeout(r, 200))
    }
    if (!sent) throw new Error(`not in the Maildir:\n${(await postfix.log()).slice(-2000)}`)
    const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(sent)?.[1]
    if (!messageId) throw new Error('no Message-ID in the delivered message')
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: postfix.port, ignoreTLS: true })
    await t.sendMail({
      from: 'Carol <carol@legacy.test>',
      to: 'alice@example.com',
      subject: 'Re: Lunch on Friday?',
      inReplyTo: messageId,
      references: [messageId],
      text: 'Friday works for me. Carol',
      dkim: { domainName: 'legacy.test', keySelector: 'fz', privateKey: dkimPem },
    })
    t.close()
    const row = page.getByTestId('message-row').filter({ hasText: 'Lunch on Friday?' })
    await row.first().waitFor({ timeout: 60_000 })
    await row.first().click()
    const reader = page.getByRole('region', { name: 'Reading pane' })
    await reader.getByText('Friday works for me. Carol').first().waitFor({ timeout: 60_000 })
    // The same conversation holds Alice's message (collapsed to its preview) and Carol's reply.
    await reader
      .getByText('Hi Carol, lunch on Friday?')
      .first()
      .waitFor({ state: 'attached', timeout: 30_000 })
    await reader.getByRole('button', { name: 'Show details' }).first().click()
    await reader.getByText('Legacy mail: received over SMTP, not through a Federizer chain').first().waitFor()
    await reader
      .getByText(/SPF pass; DKIM pass d=legacy\.test; DMARC pass/)
      .first()
      .waitFor()
    // ARC beside them: Carol's reply came straight from Postfix, not through a sealing forwarder.
    await reader.getByText('none (not forwarded with an ARC seal)').first().waitFor()
    await shot(page, 'smtp-bridge-reply')
  })
})
