import { describe, expect, it } from 'vitest'
import { AuthError } from '../auth/oauth-session.ts'
import { asSentence, explainAuth, explainDelivery, explainError } from './explain.ts'
import { formatFullDate } from './format.ts'

describe('failures in plain words (issue 16 bug 12)', () => {
  it('turns a DNS failure into a sentence naming the domain; the raw text goes to details', () => {
    const raw = 'attempt 3 failed: querySrv ENOTFOUND _federizer._rs._tcp.exampel.com'
    const e = explainDelivery(raw, 'bob@exampel.com')
    expect(e?.sentence).toBe('The domain exampel.com could not be found. Check the address for a typo.')
    expect(e?.sentence).not.toMatch(/ENOTFOUND|querySrv/)
    expect(e?.detail).toBe(raw)
  })

  it('a remote SMTP refusal: the stable code in front picks the sentence, never the remote text', () => {
    const detail =
      'refused_by_policy: the recipient’s server refused it by its policy (for example as suspected spam) (mx.legacy.test answered: 550 5.7.1 Service unavailable; mailbox full; does not exist)'
    const e = explainDelivery(detail, 'carol@legacy.test')
    expect(e?.sentence).toBe(
      'The mail server of legacy.test refused the message by its policy (for example as suspected spam).',
    )
    expect(e?.detail).toBe(detail)
    expect(
      explainDelivery(
        'unknown_recipient: no such mailbox (mx answered: 550 5.1.1 unavailable)',
        'x@legacy.test',
      )?.sentence,
    ).toBe('There is no mailbox with this address at legacy.test.')
  })

  it('says the server did not answer (and that it keeps trying) for transient failures', () => {
    expect(explainDelivery('connect ECONNREFUSED 127.0.0.1:9', 'bob@example.net')?.sentence).toBe(
      'The mail server of example.net did not answer. Federizer keeps trying.',
    )
  })

  it('tells a domain that takes no mail from a mail server that is only not answering now', () => {
    expect(
      explainDelivery(
        'example.net does not accept mail (null MX, RFC 7505); nothing was sent',
        'bob@example.net',
      )?.sentence,
    ).toBe('The domain example.net does not receive mail. Check the address.')
    expect(
      explainDelivery(
        'attempt 1 failed: the mailbox of down.example could not be discovered (discovery_failed)',
        'c@down.example',
      )?.sentence,
    ).toBe('The mail server of down.example did not answer. Federizer keeps trying.')
    expect(
      explainDelivery('down.example does not exist; nothing was sent', 'c@down.example')?.sentence,
    ).toMatch(/could not be found/)
  })

  it('names a full mailbox and an unknown recipient', () => {
    expect(explainDelivery('over_quota: mailbox is full', 'bob@example.net')?.sentence).toBe(
      'bob@example.net’s mailbox is full — bob@example.net needs to free space; we’ll keep trying.',
    )
    expect(explainDelivery('unknown_recipient: no such user', 'bob@example.net')?.sentence).toBe(
      'There is no mailbox with this address at example.net.',
    )
  })

  it('explains "refused to sign" and network errors, keeping the technical text only for details', () => {
    const signed = explainError(
      new Error('your authorization server refused to sign this message: header "Subject" …'),
      'Not sent',
    )
    expect(signed.sentence).toMatch(/^Not sent: your mail server would not sign this message/)
    expect(signed.detail).toMatch(/authorization server refused/)
    const offline = explainError(new TypeError('Failed to fetch'), 'Not sent')
    expect(offline.sentence).toBe(
      'Not sent: the server could not be reached. Check your connection and try again.',
    )
    expect(explainError(new Error('add at least one recipient'), 'Not sent')).toEqual({
      sentence: 'Not sent: Add at least one recipient.',
    })
  })

  it("keeps the api's own sentences, alone when no action is named (settings, dialogs)", () => {
    expect(explainError(new Error('your current password is not right'))).toEqual({
      sentence: 'Your current password is not right.',
    })
    expect(asSentence('  ')).toBe('Something went wrong. Try again.')
    expect(asSentence('Saved!')).toBe('Saved!')
  })

  it('turns zod issues, internal errors and rate limits into sentences with the raw text as details', () => {
    const zod = JSON.stringify([
      { code: 'too_small', path: ['query'], message: 'type something to search for' },
    ])
    expect(explainError(new Error(zod), 'Search failed')).toEqual({
      sentence: 'Search failed: type something to search for.',
      detail: zod,
    })
    const internal = explainError(new Error('internal error'), 'Could not create the folder')
    expect(internal.sentence).toBe(
      'Could not create the folder: the mail server had a problem. Try again in a moment; if it keeps failing, tell your administrator.',
    )
    expect(internal.detail).toBe('internal error')
    expect(explainError(new Error('rate_limited: slow down')).sentence).toBe(
      'Too many requests in a short time. Wait a minute and try again.',
    )
  })
})

describe('sign-in failures in plain words (issue 16 bug 12)', () => {
  const grant = (description: string) =>
    new AuthError('token_error', `Sign-in failed (invalid_grant: ${description}).`)

  it('after a password change: "your password was changed", with invalid_grant only in details', () => {
    const e = explainAuth(grant('the refresh token has been revoked; sign in again'))
    expect(e.sentence).toMatch(/^You were signed out because your password was changed/)
    expect(e.sentence).not.toMatch(/invalid_grant|refresh token/)
    expect(e.detail).toBe(
      'Sign-in failed (invalid_grant: the refresh token has been revoked; sign in again).',
    )
  })

  it('tells reuse, expiry, a disabled account, a stale callback and a dead server apart', () => {
    expect(
      explainAuth(grant('the refresh token was already used; every token of this sign-in is revoked'))
        .sentence,
    ).toMatch(/used from two places at once/)
    expect(explainAuth(grant('the refresh token has expired; sign in again')).sentence).toBe(
      'Your sign-in has expired. Sign in again.',
    )
    expect(explainAuth(grant('the account a@b.c is disabled or gone')).sentence).toMatch(/disabled/)
    expect(
      explainAuth(
        new AuthError(
          'state_mismatch',
          'This sign-in link is stale or was opened in another tab. Sign in again.',
        ),
      ).sentence,
    ).toMatch(/did not complete/)
    expect(
      explainAuth(new AuthError('as_unreachable', 'The sign-in server of example.com cannot be reached.'))
        .sentence,
    ).toBe('The sign-in server cannot be reached. Check your connection and try again.')
    expect(explainAuth(new AuthError('no_session', 'Not signed in.'))).toEqual({
      sentence: 'You are signed out. Sign in to read your mail.',
    })
    expect(explainAuth(new Error('something odd')).detail).toBe('something odd')
  })

  it('an api call whose token cannot be refreshed says the same, prefixed by the action', () => {
    const e = explainError(grant('the refresh token has been revoked; sign in again'), 'Not saved')
    expect(e.sentence).toMatch(/^Not saved: you were signed out because your password was changed/)
  })
})

describe('a full mailbox names the person (issue 16)', () => {
  it('names the person whose mailbox is full and says until when it keeps trying', () => {
    const until = Date.UTC(2026, 11, 8, 12, 0)
    const text = "bob@example.net's mailbox is full (mailbox_full); retrying until there is room"
    const said = explainDelivery(text, 'bob@example.net', { name: 'Bob', retryUntil: until }, 'en-US')
    expect(said?.sentence).toBe(
      `Bob’s mailbox is full — Bob needs to free space; we’ll keep trying until ${formatFullDate(new Date(until), 'en-US')}.`,
    )
    expect(said?.sentence).toMatch(/Dec 8, 2026/)
    expect(said?.detail).toBe(text)
    // Several recipients of one domain share the server's sentence; each row still names its person.
    const many =
      'the mailboxes of a@x.example, b@x.example are full (mailbox_full); retrying until there is room'
    expect(explainDelivery(many, 'b@x.example', { name: 'Bea' })?.sentence).toMatch(/^Bea’s mailbox is full/)
  })
})
