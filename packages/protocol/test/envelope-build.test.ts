import { describe, expect, it } from 'vitest'
import {
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
  messageIdOf,
  pushAssertion,
  pushReceipt,
  sealForSend,
  withoutBcc,
} from '../src/envelope/index.ts'
import { getHeader, originalHeaders, type PlaceholderMessage } from '../src/message/index.ts'
import { aliceDraft, buildTwoHopChain, TIMES } from './fixtures/two-hop-chain.ts'
import { expectThrowsCode } from './protocol-error.ts'

const JWS = 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln'
const names = (m: PlaceholderMessage, i = 0) =>
  (m.envelope[i] as { headers: [string, string][] }).headers.map(([n]) => n)

describe('sealForSend', () => {
  it('adds Date, Recipients-Digest (To+Cc+Bcc) and Body-Digest on top and returns the profile eh', () => {
    const draft = aliceDraft()
    const { message, eh } = sealForSend(draft, { date: TIMES.send })
    const h = originalHeaders(message)
    expect(names(message).slice(0, 3)).toEqual(['Date', 'Recipients-Digest', 'Body-Digest'])
    expect(getHeader(h, 'Date')).toBe('Sun, 22 Dec 2024 19:49:35 +0000')
    expect(getHeader(h, 'Recipients-Digest')).toBe(
      `<${recipientsDigest(['bob@example.net', 'carol@example.org'])}>`,
    )
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
    // Bcc is never signed: the delivered copy (without Bcc) has the same eht.
    expect(ehThumbprint(originalHeaders(withoutBcc(message)), eh.ehl)).toBe(eh.eht)
    expect(draft.envelope).toHaveLength(1)
    expect(getHeader(originalHeaders(draft), 'Date')).toBeUndefined()
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
