import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  freePort,
  type LegacyDomain,
  type Network,
  postfixInstalled,
  sendMail,
  startLegacyDomain,
  startNetwork,
} from '../src/index.ts'

// Issue 15, the demo's legacy domain: mail from a Federizer user to carol@legacy.test goes over SMTP
// to a real Postfix, and Carol's DKIM-signed answer comes back over SMTP into the same conversation.

let dir: string
let network: Network
let legacy: LegacyDomain

beforeAll(async () => {
  if (!postfixInstalled()) throw new Error('postfix is not installed: run scripts/test.sh (it installs it)')
  dir = await mkdtemp(path.join(tmpdir(), 'fz-legacy-'))
  await chmod(dir, 0o711) // Postfix's own user passes through to its folder
  const postfixPort = await freePort()
  network = await startNetwork({
    dataRoot: path.join(dir, 'data'),
    smtpOutboundPort: postfixPort,
    queueTimeScale: 0.001,
    gatewayOptions: { pollIntervalMs: 50 },
    domains: [{ domain: 'example.com', users: [{ email: 'alice@example.com', password: 'alice-pw-123' }] }],
  })
  legacy = await startLegacyDomain(network, { dir: path.join(dir, 'postfix'), postfixPort, autoReply: true })
}, 90_000)

afterAll(async () => {
  await legacy?.stop()
  await network?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 45_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}\n--- postfix log ---\n${(await legacy.postfix.log()).slice(-3000)}`,
      )
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('legacy.test in a devnet network (the demo shape)', () => {
  it('Alice → carol@legacy.test over SMTP; Carol’s answer comes back over SMTP into the conversation', {
    timeout: 90_000,
  }, async () => {
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['carol@legacy.test'],
      subject: 'Hello legacy world',
      text: 'Does SMTP still work?',
    })
    const db = await network.node('example.com').db()
    const reply = await until(
      () =>
        db
          .selectFrom('messages')
          .selectAll()
          .where('account', '=', 'alice@example.com')
          .where('subject', '=', 'Re: Hello legacy world')
          .executeTakeFirst(),
      "Carol's answer in Alice's mailbox",
    )
    expect(reply.thread_id).toBe(
      (
        await db
          .selectFrom('messages')
          .select('thread_id')
          .where('id', '=', sent.rowId)
          .executeTakeFirstOrThrow()
      ).thread_id,
    )
    const legacyAuth = JSON.parse(reply.chain_verification ?? '{}').legacy
    expect(legacyAuth.summary).toMatch(/SPF pass; DKIM pass d=legacy\.test; DMARC pass$/)
    // Carol read it: the message moved from new/ to cur/ in her Maildir.
    expect(await readdir(path.join(legacy.maildir, 'cur'))).toHaveLength(1)
  })

  it('an automatic message (Auto-Submitted) is never answered: no loops', { timeout: 60_000 }, async () => {
    const before = await readdir(path.join(legacy.maildir, 'cur'))
    const nodemailer = (await import('nodemailer')).default
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: legacy.postfix.port, ignoreTLS: true })
    await t.sendMail({
      from: 'alice@example.com',
      to: 'carol@legacy.test',
      subject: 'Out of office',
      headers: { 'Auto-Submitted': 'auto-replied' },
      text: 'I am away.',
    })
    t.close()
    await until(
      async () => (await readdir(path.join(legacy.maildir, 'cur'))).length > before.length || undefined,
      'the automatic message read by Carol',
    )
    const db = await network.node('example.com').db()
    const answers = await db
      .selectFrom('messages')
      .select('id')
      .where('subject', '=', 'Re: Out of office')
      .execute()
    expect(answers).toHaveLength(0)
  })
})
