import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import type { StoredPlaceholder } from '../src/index.ts'
import { autoReplyAddress, autoReplyRefusal, queueVacationReply, setVacation } from '../src/index.ts'
import { placeholder, tempDb } from './helpers.ts'

const BOB = 'bob@example.net'
const NOW = 1_800_000_000

const mail = (over: { from?: string; to?: string[]; cc?: string[]; extra?: [string, string][] } = {}) => {
  const m = placeholder({
    from: over.from ?? 'Alice <alice@example.com>',
    to: over.to ?? [BOB],
    ...(over.cc ? { cc: over.cc } : {}),
    subject: 'Lunch?',
    messageId: `<${Math.random().toString(36).slice(2)}@example.com>`,
    text: 'Tuesday?',
  })
  const block = m.envelope[0] as { headers: StoredPlaceholder['parts'][number]['headers'] }
  block.headers.push(...(over.extra ?? []))
  return m
}

describe('whom a vacation reply may answer (RFC 3834 §2)', () => {
  it('answers a person who wrote to this account in To or Cc', () => {
    expect(autoReplyRefusal(mail(), BOB)).toBeNull()
    expect(
      autoReplyRefusal(mail({ to: ['carol@example.com'], cc: ['Bob <Bob@Example.NET>'] }), BOB),
    ).toBeNull()
    expect(autoReplyRefusal(mail({ extra: [['Auto-Submitted', 'no']] }), BOB)).toBeNull()
  })

  it('never answers itself, systems, automatic or list mail, forwarded mail, or mail not addressed to it', () => {
    const refused = (m: StoredPlaceholder) => autoReplyRefusal(m, BOB)
    expect(refused(mail({ from: BOB }))).toMatch(/from this account/)
    for (const from of [
      'MAILER-DAEMON@example.com',
      'postmaster@example.com',
      'no-reply@example.com',
      'team-request@lists.example.com',
      'owner-team@lists.example.com',
    ])
      expect(refused(mail({ from })), from).toMatch(/mail system/)
    expect(refused(mail({ extra: [['Return-Path', '<>']] }))).toMatch(/empty return path/)
    expect(refused(mail({ extra: [['Return-Path', '<carol@example.com>']] }))).toBeNull()
    expect(refused(mail({ extra: [['Auto-Submitted', 'auto-replied']] }))).toMatch(/Auto-Submitted/)
    expect(refused(mail({ extra: [['Auto-Submitted', 'auto-generated']] }))).toMatch(/Auto-Submitted/)
    for (const p of ['bulk', 'list', 'junk'])
      expect(refused(mail({ extra: [['Precedence', p]] }))).toMatch(/Precedence/)
    expect(refused(mail({ extra: [['List-Id', 'Team <team.example.com>']] }))).toMatch(/List-Id/)
    expect(refused(mail({ extra: [['List-Unsubscribe', '<mailto:leave@example.com>']] }))).toMatch(
      /List-Unsubscribe/,
    )
    expect(refused(mail({ to: ['everyone@example.com'] }))).toMatch(/not named in To or Cc/)
    const forwarded = mail()
    forwarded.envelope.unshift({
      headers: [
        ['Forwarded-From', 'dave@example.net'],
        ['Forwarded-To', BOB],
      ],
    })
    expect(refused(forwarded)).toMatch(/auto-forward/)
  })
})

describe('where a vacation reply goes (RFC 3834 §4)', () => {
  const viaList = mail({ extra: [['Return-Path', '<Team-Replies@Lists.example.com>']] })

  it('answers mail that came over SMTP at its Return-Path, the envelope sender', () => {
    expect(autoReplyAddress(viaList, true)).toBe('team-replies@lists.example.com')
    expect(autoReplyAddress(mail(), true)).toBe('alice@example.com')
    // A path that names no address (a bounce's <>, or garbage) leaves the From.
    expect(autoReplyAddress(mail({ extra: [['Return-Path', 'nonsense']] }), true)).toBe('alice@example.com')
  })

  it('answers mail from a Federizer peer at its signed From, whatever Return-Path line it carries', () => {
    expect(autoReplyAddress(viaList, false)).toBe('alice@example.com')
  })

  it('refuses over SMTP when the Return-Path is this account or a mail system', () => {
    const path = (p: string) => mail({ extra: [['Return-Path', p]] })
    expect(autoReplyRefusal(path('<bob@example.net>'), BOB, true)).toMatch(/from this account/)
    expect(autoReplyRefusal(path('<list-bounces@lists.example.com>'), BOB, true)).toMatch(/mail system/)
    expect(autoReplyRefusal(path('<list-bounces@lists.example.com>'), BOB, false)).toBeNull()
  })
})

describe('queueing the vacation reply', () => {
  let db: Db
  let cleanup: () => Promise<void>
  beforeEach(async () => {
    ;({ db, cleanup } = await tempDb())
  })
  afterEach(() => cleanup())

  const on = (over: Partial<Parameters<typeof setVacation>[2]> = {}) =>
    setVacation(db, BOB, {
      enabled: true,
      subject: 'Away',
      text: 'Back Monday',
      startsAt: null,
      endsAt: null,
      periodDays: 7,
      ...over,
    })
  const queue = (m: StoredPlaceholder, now = NOW, id = 'm1') =>
    queueVacationReply(db, { account: BOB, messageRowId: id, message: m, now, lifetime: 3600 })
  const jobs = () =>
    db.selectFrom('vacation_jobs').select(['message_row_id', 'state', 'expires_at']).execute()

  it('queues one reply per sender per period and records the sender', async () => {
    await on()
    expect(await queue(mail())).toBe(true)
    expect(await queue(mail(), NOW + 60, 'm2')).toBe(false)
    expect(await queue(mail({ from: 'carol@example.com' }), NOW + 60, 'm3')).toBe(true)
    expect(await queue(mail(), NOW + 7 * 86_400, 'm4')).toBe(true)
    expect((await jobs()).map((j) => j.message_row_id)).toEqual(['m1', 'm3', 'm4'])
    expect((await jobs())[0]).toMatchObject({ state: 'queued', expires_at: NOW + 3600 })
  })

  it('over SMTP, counts one reply per Return-Path, not per From', async () => {
    await on()
    const via = (p: string) => mail({ extra: [['Return-Path', p]] })
    const queueSmtp = (m: StoredPlaceholder, id: string) =>
      queueVacationReply(db, {
        account: BOB,
        messageRowId: id,
        message: m,
        now: NOW,
        lifetime: 3600,
        overSmtp: true,
      })
    expect(await queueSmtp(via('<alice@example.com>'), 'm1')).toBe(true)
    expect(await queueSmtp(via('<alice.other@example.org>'), 'm2')).toBe(true)
    expect(await queueSmtp(via('<alice.other@example.org>'), 'm3')).toBe(false)
    expect(
      (await db.selectFrom('vacation_replies').select('sender').orderBy('sender').execute()).map(
        (r) => r.sender,
      ),
    ).toEqual(['alice.other@example.org', 'alice@example.com'])
  })

  it('queues nothing while the reply is off or outside its dates, nor for list mail, and records no sender', async () => {
    expect(await queue(mail())).toBe(false)
    await on({ startsAt: NOW + 10 })
    expect(await queue(mail())).toBe(false)
    await on({ endsAt: NOW })
    expect(await queue(mail())).toBe(false)
    await on()
    expect(await queue(mail({ extra: [['List-Id', '<team.example.com>']] }))).toBe(false)
    expect(await jobs()).toEqual([])
    expect(await db.selectFrom('vacation_replies').selectAll().execute()).toEqual([])
  })
})
