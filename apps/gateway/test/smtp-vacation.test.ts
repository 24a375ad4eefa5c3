import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  freePort,
  type Network,
  type PostfixInstance,
  postfixInstalled,
  startPostfix,
} from '@federizer/devnet'
import { setVacation } from '@federizer/store'
import type { SendMailOptions } from 'nodemailer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type InboundSmtp, startInboundSmtp } from '../src/smtp/inbound-server.ts'
import { db, messagesIn, openNetwork, threeDomains, waitFor } from './federation-helpers.ts'
import { composeSigned, dkimKey, legacyDnsRecords, sendRaw } from './smtp-helpers.ts'

// Issue 16, vacation replies for mail that came over SMTP: a real (private) Postfix relays Carol's mail
// to example.com's SMTP listener; Alice is away, so Carol gets one reply — back over the SMTP bridge
// into her Maildir — and list mail, automatic mail and bounces get none (RFC 3834 §2).

let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
let smtp: InboundSmtp
let postfix: PostfixInstance
let pfDir: string
const dkim = dkimKey('legacy.test')
const ALICE = 'alice@example.com'
const AWAY = 'Away until Monday'

beforeAll(async () => {
  if (!postfixInstalled()) throw new Error('postfix is not installed: run scripts/test.sh (it installs it)')
  const pfPort = await freePort()
  net = await openNetwork({ domains: threeDomains(), smtpOutboundPort: pfPort })
  network = net.network
  network.dns.setRecords({ ...network.dns.records(), ...legacyDnsRecords('legacy.test', dkim, 'none') })
  smtp = await startInboundSmtp(network.node('example.com').gateway!.ctx, { port: 0 })
  pfDir = await mkdtemp(path.join(tmpdir(), 'fz-postfix-vac-'))
  postfix = await startPostfix({
    dir: pfDir,
    port: pfPort,
    domain: 'legacy.test',
    mailboxes: ['carol', 'garden'],
    relay: { 'example.com': smtp.port },
  })
  const now = Math.floor(Date.now() / 1000)
  await setVacation(db(network, 'example.com'), ALICE, {
    enabled: true,
    subject: AWAY,
    text: 'I am away and read mail on Monday.',
    startsAt: now - 3600,
    endsAt: now + 7 * 86_400,
    periodDays: 7,
  })
}, 60_000)

afterAll(async () => {
  await postfix?.stop()
  await smtp?.close()
  await net?.close()
  if (pfDir) await rm(pfDir, { recursive: true, force: true })
})

/** Carol writes to Alice through Postfix (envelope sender `from`, `''` for a bounce's null path). */
async function carolSends(
  messageId: string,
  extra: Partial<SendMailOptions> = {},
  from = 'carol@legacy.test',
) {
  const raw = await composeSigned(
    {
      from: 'Carol <carol@legacy.test>',
      to: 'Alice <alice@example.com>',
      subject: `About ${messageId}`,
      messageId,
      text: 'Hello Alice.',
      ...extra,
    },
    dkim,
  )
  await sendRaw(postfix.port, from, [ALICE], raw)
  return waitFor(
    async () =>
      (await messagesIn(db(network, 'example.com'), ALICE, 'inbox')).find(
        (m) => m.message_id_header === messageId,
      ),
    `${messageId} in Alice's inbox`,
    45_000,
  ).catch(async (e) => {
    throw new Error(`${(e as Error).message}\n--- postfix log ---\n${(await postfix.log()).slice(-3000)}`)
  })
}

const vacationJobs = () =>
  db(network, 'example.com').selectFrom('vacation_jobs').select(['message_row_id', 'state']).execute()
const repliesInMaildir = async (local = 'carol') =>
  (await postfix.maildir(local))
    .map((f) => f.toString('latin1'))
    .filter((t) => t.includes(`Subject: ${AWAY}`))

describe('vacation reply to mail that came over SMTP', () => {
  it('list mail, automatic mail and a bounce get no reply', { timeout: 90_000 }, async () => {
    const list = await carolSends('<list-1@legacy.test>', {
      headers: {
        'List-Id': 'Garden club <garden.legacy.test>',
        'List-Unsubscribe': '<mailto:leave@legacy.test>',
      },
    })
    // What tells a responder not to answer is kept from the SMTP header lines.
    const headers = JSON.parse(list.placeholder).envelope.at(-1).headers as [string, string][]
    expect(headers).toContainEqual(['List-Id', 'Garden club <garden.legacy.test>'])
    expect(headers).toContainEqual(['Return-Path', '<carol@legacy.test>'])
    await carolSends('<bulk-1@legacy.test>', { headers: { Precedence: 'bulk' } })
    await carolSends('<auto-1@legacy.test>', { headers: { 'Auto-Submitted': 'auto-generated' } })
    const bounce = await carolSends('<bounce-1@legacy.test>', {}, '')
    expect(JSON.parse(bounce.placeholder).envelope.at(-1).headers).toContainEqual(['Return-Path', '<>'])
    // Each was stored with its vacation decision in one transaction: a queued reply would be there now.
    expect(await vacationJobs()).toEqual([])
  })

  it('a person gets exactly one reply for two messages, delivered to her over SMTP with RFC 3834 headers', {
    timeout: 120_000,
  }, async () => {
    const first = await carolSends('<plain-1@legacy.test>')
    const second = await carolSends('<plain-2@legacy.test>', { inReplyTo: '<plain-1@legacy.test>' })
    const jobs = await vacationJobs()
    expect(jobs.map((j) => j.message_row_id)).toEqual([first.id])
    expect(jobs.map((j) => j.message_row_id)).not.toContain(second.id)
    const [reply] = await waitFor(
      async () => {
        const found = await repliesInMaildir()
        return found.length > 0 ? found : undefined
      },
      "the vacation reply in Carol's Maildir",
      60_000,
    ).catch(async (e) => {
      throw new Error(`${(e as Error).message}\n--- postfix log ---\n${(await postfix.log()).slice(-3000)}`)
    })
    expect(reply).toMatch(/^Auto-Submitted: auto-replied\r?$/m)
    expect(reply).toMatch(/^In-Reply-To: <plain-1@legacy\.test>\r?$/m)
    expect(reply).toMatch(/^References: <plain-1@legacy\.test>\r?$/m)
    expect(reply).toMatch(/^To: Carol <carol@legacy\.test>\r?$/m)
    expect(reply).toMatch(/^DKIM-Signature: .*d=example\.com/m)
    expect(reply).toContain('I am away and read mail on Monday.')
    // Alice's Sent keeps the reply, delivered; Carol had one reply, not two.
    const sent = await messagesIn(db(network, 'example.com'), ALICE, 'sent')
    expect(sent.map((m) => m.subject)).toEqual([AWAY])
    await waitFor(async () => ((await vacationJobs())[0]?.state === 'done' ? true : undefined), 'job done')
    expect(await repliesInMaildir()).toHaveLength(1)
  })

  it('mail that came with another envelope sender is answered at its Return-Path, not at its From', {
    timeout: 120_000,
  }, async () => {
    // Carol's note relayed by the garden club's address (a forwarding service keeps the From and sets
    // its own envelope sender): the reply goes where the envelope says (RFC 3834 §4), once.
    const relayed = await carolSends('<relayed-1@legacy.test>', {}, 'garden@legacy.test')
    const [reply] = await waitFor(
      async () => {
        const found = await repliesInMaildir('garden')
        return found.length > 0 ? found : undefined
      },
      "the vacation reply in the garden club's Maildir",
      60_000,
    ).catch(async (e) => {
      throw new Error(`${(e as Error).message}\n--- postfix log ---\n${(await postfix.log()).slice(-3000)}`)
    })
    expect(reply).toMatch(/^To: garden@legacy\.test\r?$/m)
    expect(reply).toMatch(/^In-Reply-To: <relayed-1@legacy\.test>\r?$/m)
    expect((await vacationJobs()).map((j) => j.message_row_id)).toContain(relayed.id)
    // Carol herself had her one reply of this period from the test before, and no second.
    expect(await repliesInMaildir()).toHaveLength(1)
  })
})
