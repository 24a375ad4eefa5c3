import { describe, expect, it } from 'vitest'
import {
  blindedValue,
  bodyDigest,
  digest,
  ehHeaders,
  ehThumbprint,
  jwtAssertionDigest,
  recipientsDigest,
} from '../src/digest/index.ts'
import {
  addForwarding,
  lastAssertion,
  matchesRecipientsDigest,
  messageIdOf,
  pushAssertion,
  pushReceipt,
  sealForSend,
  withoutBcc,
} from '../src/envelope/index.ts'
import { buildDraft, getHeader, originalHeaders, type PlaceholderMessage } from '../src/message/index.ts'
import { aliceDraft, buildTwoHopChain, SECRETS, TIMES } from './fixtures/two-hop-chain.ts'
import { expectThrowsCode } from './protocol-error.ts'

const JWS = 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln'
const names = (m: PlaceholderMessage, i = 0) =>
  (m.envelope[i] as { headers: [string, string][] }).headers.map(([n]) => n)

describe('sealForSend', () => {
  it('adds Date, a keyed Recipients-Digest (To+Cc+Bcc), Body-Digest, the salt and the key on top and returns the profile eh', () => {
    const draft = aliceDraft()
    const { message, eh } = sealForSend(draft, { date: TIMES.send, ...SECRETS })
    const h = originalHeaders(message)
    expect(names(message).slice(0, 5)).toEqual([
      'Date',
      'Recipients-Digest',
      'Body-Digest',
      'Recipients-Salt',
      'Recipients-Key',
    ])
    expect(getHeader(h, 'Date')).toBe('Sun, 22 Dec 2024 19:49:35 +0000')
    // HMAC-SHA-256 keyed with the per-message key; the plain digest would let anyone test a guessed Bcc.
    expect(getHeader(h, 'Recipients-Digest')).toBe(
      `<${recipientsDigest(['bob@example.net', 'carol@example.org'], SECRETS.key)}>`,
    )
    expect(getHeader(h, 'Recipients-Digest')).not.toBe(
      `<${recipientsDigest(['bob@example.net', 'carol@example.org'])}>`,
    )
    expect(getHeader(h, 'Recipients-Key')).toBe(`<${SECRETS.key.toString('base64url')}>`)
    expect(getHeader(h, 'Body-Digest')).toBe(`<${bodyDigest(draft.parts)}>`)
    expect(eh.ehl).toEqual([
      'Message-ID',
      'From',
      'Recipients-Digest',
      'Body-Digest',
      'Date',
      'Subject',
      'To',
      'X-Thread-ID',
      'Content-Type',
    ])
    expect(eh.eht).toBe(ehThumbprint(h, eh.ehl))
    expect(eh.eht).toBe(digest(JSON.stringify(ehHeaders(h, eh.ehl))))
    // What the AS is sent: To blinded, no address of any recipient anywhere.
    const toAs = JSON.stringify(ehHeaders(h, eh.ehl))
    expect(toAs).not.toMatch(/bob@|carol@/)
    expect(ehHeaders(h, eh.ehl).find(([n]) => n === 'To')).toEqual([
      'To',
      blindedValue(SECRETS.salt, 'Bob <bob@example.net>'),
    ])
    // Bcc and the key are never signed: the delivered copy (without both) has the same eht.
    const delivered = originalHeaders(withoutBcc(message))
    expect(delivered.map(([n]) => n)).not.toContain('Bcc')
    expect(delivered.map(([n]) => n)).not.toContain('Recipients-Key')
    expect(ehThumbprint(delivered, eh.ehl)).toBe(eh.eht)
    expect(draft.envelope).toHaveLength(1)
    expect(getHeader(originalHeaders(draft), 'Date')).toBeUndefined()
  })

  it('draws a fresh salt and key for every message, and omits the salt when only Bcc is set', () => {
    const a = originalHeaders(sealForSend(aliceDraft(), { date: TIMES.send }).message)
    const b = originalHeaders(sealForSend(aliceDraft(), { date: TIMES.send }).message)
    expect(getHeader(a, 'Recipients-Key')).not.toBe(getHeader(b, 'Recipients-Key'))
    expect(getHeader(a, 'Recipients-Salt')).not.toBe(getHeader(b, 'Recipients-Salt'))
    expect(getHeader(a, 'Recipients-Digest')).not.toBe(getHeader(b, 'Recipients-Digest'))
    const bccOnly = buildDraft({
      from: { address: 'alice@example.com' },
      to: [],
      bcc: [{ address: 'carol@example.org' }],
      subject: 'x',
      messageId: '<only-bcc@example.com>',
      text: { contentId: 'A'.repeat(43), size: 1, mediaType: 'text/plain; charset=UTF-8' },
    })
    const sealed = originalHeaders(sealForSend(bccOnly, { date: TIMES.send }).message)
    expect(sealed.map(([n]) => n)).not.toContain('Recipients-Salt')
    expect(sealed.map(([n]) => n)).toContain('Recipients-Key')
  })

  it('the origin re-checks the presented Recipients-Digest with the key of its own copy only', () => {
    const { message } = sealForSend(aliceDraft(), { date: TIMES.send, ...SECRETS })
    const presented = getHeader(originalHeaders(message), 'Recipients-Digest') as string
    expect(matchesRecipientsDigest(message, presented)).toBe(true)
    // The delivered copy has no key (and no Bcc): it cannot reproduce the digest.
    expect(matchesRecipientsDigest(withoutBcc(message), presented)).toBe(false)
    expect(
      matchesRecipientsDigest(message, `<${recipientsDigest(['bob@example.net', 'carol@example.org'])}>`),
    ).toBe(false)
  })

  it('refuses to seal twice, without recipients, or a message that already has a chain', () => {
    const { message } = sealForSend(aliceDraft(), { date: TIMES.send })
    expectThrowsCode(() => sealForSend(message, { date: TIMES.send }), 'malformed_message', /sealed before/)
    const lonely = aliceDraft()
    ;(lonely.envelope[0] as { headers: [string, string][] }).headers = originalHeaders(lonely).filter(
      ([n]) => n !== 'To' && n !== 'Bcc',
    ) as [string, string][]
    expectThrowsCode(() => sealForSend(lonely, { date: TIMES.send }), 'invalid_address', /no recipient/)
    expectThrowsCode(() => sealForSend(pushAssertion(message, JWS), { date: TIMES.send }), 'invalid_chain')
  })
})

describe('withoutBcc', () => {
  it('removes Bcc from the original block only, leaving the input untouched', () => {
    const { message } = sealForSend(aliceDraft(), { date: TIMES.send })
    const out = withoutBcc(message)
    expect(getHeader(originalHeaders(out), 'Bcc')).toBeUndefined()
    expect(getHeader(originalHeaders(message), 'Bcc')).toBe('carol@example.org')
  })
})

describe('chain building', () => {
  it('pushes assertion, receipt and forwarding blocks in the seed Fig. 3 layout', async () => {
    const c = await buildTwoHopChain()
    expect(lastAssertion(c.draft)).toBeUndefined()
    expect(lastAssertion(c.atBob)).toBe(c.jws1)
    expect(lastAssertion(c.atBobby)).toBe(c.jws2)
    expect(messageIdOf(c.atBobby)).toBe('<b07d0cdf-c6f4-4f67-b24c-cc847a4c2df4@example.com>')
    expect(c.atBob.envelope[0]).toEqual({
      headers: [
        ['Message-ID', '<b07d0cdf-c6f4-4f67-b24c-cc847a4c2df4@example.com>'],
        ['JWT-Assertion-Digest', `<${jwtAssertionDigest(c.jws1)}>`],
        ['Received', 'from example.com by example.net; Sun, 22 Dec 2024 19:58:14 +0000'],
      ],
    })
    expect(names(c.toBobby, 1)).toEqual([
      'Date',
      'Recipients-Digest',
      'Forwarded-To',
      'Forwarded-From',
      'Message-ID',
      'JWT-Assertion-Digest',
      'Received',
    ])
    expect(
      getHeader((c.toBobby.envelope[1] as { headers: [string, string][] }).headers, 'Recipients-Digest'),
    ).toBe(`<${recipientsDigest(['bobby@example.org'])}>`)
    expect(c.eh2.ehl).toEqual([
      'Message-ID',
      'Forwarded-From',
      'Forwarded-To',
      'Recipients-Digest',
      'JWT-Assertion-Digest',
      'Date',
      'Received',
    ])
    expect(c.toBobby.envelope.map((b) => ('headers' in b ? 'headers' : 'jwt'))).toEqual([
      'jwt',
      'headers',
      'jwt',
      'headers',
    ])
  })

  it('refuses blocks in the wrong place', async () => {
    const c = await buildTwoHopChain()
    expectThrowsCode(() => pushAssertion(c.toBob, JWS), 'invalid_chain', /already an assertion/)
    expectThrowsCode(() => pushAssertion(c.atBob, 'not-a-jws'), 'invalid_jwt')
    expectThrowsCode(
      () => pushReceipt(c.atBob, { fromDomain: 'a.b', byDomain: 'c.d', date: TIMES.bobReceived }),
      'invalid_chain',
    )
    expectThrowsCode(
      () =>
        pushReceipt(c.toBob, {
          fromDomain: 'example.com; by evil',
          byDomain: 'example.net',
          date: TIMES.bobReceived,
        }),
      'malformed_message',
    )
    const fwd = {
      forwardedFrom: { address: 'bob@example.net' },
      forwardedTo: [{ address: 'bobby@example.org' }],
      date: TIMES.forward,
    }
    expectThrowsCode(() => addForwarding(c.toBob, fwd), 'invalid_chain', /receipt block/)
    expectThrowsCode(() => addForwarding(c.sent, fwd), 'invalid_chain')
    expectThrowsCode(
      () => addForwarding(addForwarding(c.atBob, fwd).message, fwd),
      'invalid_chain',
      /already a forwarding/,
    )
    expectThrowsCode(() => addForwarding(c.atBob, { ...fwd, forwardedTo: [] }), 'invalid_address')
    expectThrowsCode(
      () => addForwarding(c.atBob, { ...fwd, forwardedFrom: { address: 'bob' } }),
      'invalid_address',
    )
  })
})
