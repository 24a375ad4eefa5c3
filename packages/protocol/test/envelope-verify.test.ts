import { beforeAll, describe, expect, it } from 'vitest'
import { ehThumbprint } from '../src/digest/index.ts'
import {
  addForwarding,
  type ChainVerification,
  pushAssertion,
  pushReceipt,
  sealForSend,
  verifyChain,
} from '../src/envelope/index.ts'
import { ProtocolError } from '../src/errors.ts'
import type { EnvelopeBlock, Header, PlaceholderMessage } from '../src/message/index.ts'
import {
  aliceDraft,
  buildTwoHopChain,
  ISSUERS,
  JKT,
  MTA,
  signRaw,
  TEST_KEYS,
  TIMES,
  type TwoHopChain,
  testResolveKey,
  VERIFY_AT,
} from './fixtures/two-hop-chain.ts'

let c: TwoHopChain
beforeAll(async () => {
  c = await buildTwoHopChain()
})

const verify = (m: PlaceholderMessage, extra: Partial<Parameters<typeof verifyChain>[1]> = {}) =>
  verifyChain(m, { resolveKey: testResolveKey(), now: VERIFY_AT, ...extra })
const clone = (m: PlaceholderMessage): PlaceholderMessage => structuredClone(m)
/** Oldest-first block i of a message. */
const block = (m: PlaceholderMessage, i: number) => m.envelope[m.envelope.length - 1 - i] as EnvelopeBlock
const headersOf = (m: PlaceholderMessage, i: number) => (block(m, i) as { headers: Header[] }).headers
const setHeader = (m: PlaceholderMessage, i: number, name: string, value: string) => {
  const h = headersOf(m, i)
  const at = h.findIndex(([n]) => n === name)
  h[at] = [name, value]
  return m
}
const codes = (v: ChainVerification) => v.hops.map((h) => (h.status === 'pass' ? 'pass' : h.code))
const secs = (d: Date) => Math.floor(d.getTime() / 1000)

/** A hop-1 assertion over `headers` with arbitrary eh / claims, signed by the real AS1 key. */
async function forgeOrigin(
  headers: Header[],
  ehl: string[],
  claims: Record<string, unknown> = {},
  typ?: string,
) {
  return signRaw(
    {
      iss: ISSUERS.as1,
      sub: 'alice@example.com',
      azp: MTA.as1,
      scope: 'internet_mail',
      cnf: { jkt: JKT.hop1 },
      eh: { eht: ehThumbprint(headers, ehl), ehl },
      iat: secs(TIMES.send),
      exp: secs(TIMES.send) + 3600,
      jti: 'forged',
      ...claims,
    },
    'as1',
    typ,
  )
}

describe('verifyChain: valid chains', () => {
  it('passes every stage of the Fig. 3 journey with per-hop details', async () => {
    for (const m of [c.toBob, c.atBob, c.toBobby, c.atBobby]) expect((await verify(m)).ok).toBe(true)
    // The sender's own copy is never delivered: its Bcc and Recipients-Key are signed by nothing.
    expect((await verify(c.sent)).hops[0]).toMatchObject({ status: 'fail', code: 'unsigned_header' })
    const v = await verify(c.atBobby, { lastHopMustBeFresh: true })
    expect(v.hops).toEqual([
      {
        index: 0,
        kind: 'origin',
        status: 'pass',
        iss: ISSUERS.as1,
        azp: MTA.as1,
        sub: 'alice@example.com',
        senderAddress: 'alice@example.com',
        senderDomain: 'example.com',
      },
      {
        index: 1,
        kind: 'forward',
        status: 'pass',
        iss: ISSUERS.as2,
        azp: MTA.as2,
        sub: 'bob@example.net',
        senderAddress: 'bob@example.net',
        senderDomain: 'example.net',
        forwardedTo: ['bobby@example.org'],
      },
    ])
  })

  it('checks exp only on the newest hop, and only when asked', async () => {
    const late = secs(TIMES.forward) + 30 * 86400
    expect((await verify(c.atBobby, { now: late })).ok).toBe(true)
    expect(codes(await verify(c.atBobby, { now: late, lastHopMustBeFresh: true }))).toEqual([
      'pass',
      'expired',
    ])
    // At hop 2's acceptance hop 1 may be long expired: it is not checked.
    const afterHop1 = secs(TIMES.send) + 6 * 86400 + 120
    expect(codes(await verify(c.toBobby, { now: afterHop1, lastHopMustBeFresh: true }))).toEqual([
      'pass',
      'pass',
    ])
  })

  it('calls checkHop for each passing hop and fails the hop it rejects', async () => {
    const seen: string[] = []
    const v = await verify(c.toBobby, {
      checkHop: async (hop) => {
        seen.push(`${hop.index}:${hop.senderDomain}:${hop.iss}:${hop.azp}:${hop.headers.length}`)
        if (hop.kind === 'forward')
          throw new ProtocolError('wrong_issuer', 'not the AS discovered for example.net')
      },
    })
    expect(seen).toEqual([
      '0:example.com:https://as1.example.com:mta.example.com:10',
      '1:example.net:https://as2.example.net:mta.example.net:7',
    ])
    expect(v.ok).toBe(false)
    expect(v.hops[1]).toMatchObject({
      status: 'fail',
      code: 'wrong_issuer',
      reason: 'not the AS discovered for example.net',
    })
    const plain = await verify(c.toBob, { checkHop: async () => Promise.reject(new Error('nope')) })
    expect(v.hops[0]!.status).toBe('pass')
    expect(codes(plain)).toEqual(['hop_rejected'])
  })
})

describe('verifyChain: tampering', () => {
  it('detects a changed original header (Subject) at hop 0 only', async () => {
    const v = await verify(setHeader(clone(c.toBobby), 0, 'Subject', 'Vacation photos'))
    expect(codes(v)).toEqual(['eht_mismatch', 'pass'])
    expect(v.ok).toBe(false)
  })

  it('detects a changed body (a resource size)', async () => {
    const m = clone(c.toBob)
    const leaf = m.parts[1]!
    leaf.headers[2] = [
      'Content-Type',
      [(leaf.headers[2]![1] as string[])[0]!.replace('4096', '4097'), 'image/png'],
    ]
    expect(codes(await verify(m))).toEqual(['body_digest_mismatch'])
  })

  it('detects a tampered assertion and the broken link above it', async () => {
    const m = clone(c.toBobby)
    const b = block(m, 1) as { 'jwt-assertion': string }
    const [h, p, s] = b['jwt-assertion'].split('.') as [string, string, string]
    b['jwt-assertion'] = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`
    expect(codes(await verify(m))).toEqual(['invalid_signature', 'assertion_link_mismatch'])
  })

  it('refuses a non-canonical base64url signature that decodes to the same bytes', async () => {
    const m = clone(c.toBobby)
    const b = block(m, 3) as { 'jwt-assertion': string }
    const last = b['jwt-assertion'].at(-1)!
    // 64-byte signatures end in a character with 4 unused bits: flipping one of them keeps the bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    b['jwt-assertion'] = b['jwt-assertion'].slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1]
    expect(codes(await verify(m))).toEqual(['pass', 'invalid_jwt'])
  })

  it('detects changed Forwarded-To (Recipients-Digest no longer matches)', async () => {
    const v = await verify(setHeader(clone(c.toBobby), 2, 'Forwarded-To', 'Mallory <mallory@example.org>'))
    expect(codes(v)).toEqual(['pass', 'recipients_digest_mismatch'])
  })

  it('detects a Message-ID that differs between blocks', async () => {
    const v = await verify(setHeader(clone(c.atBobby), 2, 'Message-ID', '<other@example.com>'))
    expect(codes(v)).toEqual(['pass', 'message_id_mismatch'])
  })

  it('detects a Received that names the wrong domains', async () => {
    expect(
      codes(
        await verify(
          setHeader(
            clone(c.toBobby),
            2,
            'Received',
            'from example.org by example.net; Sun, 22 Dec 2024 19:58:14 +0000',
          ),
        ),
      ),
    ).toEqual(['pass', 'received_mismatch'])
    expect(
      codes(
        await verify(
          setHeader(
            clone(c.toBobby),
            2,
            'Received',
            'from example.com by example.org; Sun, 22 Dec 2024 19:58:14 +0000',
          ),
        ),
      ),
    ).toEqual(['pass', 'received_mismatch'])
    const wrongReceipt = pushReceipt(c.toBob, {
      fromDomain: 'example.org',
      byDomain: 'example.net',
      date: TIMES.bobReceived,
    })
    expect(codes(await verify(wrongReceipt))).toEqual(['received_mismatch'])
  })

  it('detects an unsigned or altered unsigned header', async () => {
    const injected = clone(c.toBob)
    headersOf(injected, 0).push(['Reply-To', 'mallory@example.org'])
    expect(codes(await verify(injected))).toEqual(['unsigned_header'])
    // The original Content-Type is signed (mode 1 ehl), so a change breaks the eht.
    expect(codes(await verify(setHeader(clone(c.toBob), 0, 'Content-Type', 'multipart/MIXED')))).toEqual([
      'eht_mismatch',
    ])
  })
})

describe('verifyChain: recipients (docs/protocol.md §2, issue 12 item 8)', () => {
  it('refuses a Bcc added on the way, and a Recipients-Key that leaked into a delivered copy', async () => {
    const bcc = clone(c.toBobby)
    headersOf(bcc, 0).push(['Bcc', 'mallory@example.org'])
    expect(codes(await verify(bcc))).toEqual(['unsigned_header', 'pass'])
    expect((await verify(bcc)).hops[0]?.reason).toMatch(/"Bcc" of hop 0 is not covered/)
    const key = clone(c.toBob)
    headersOf(key, 0).push([
      'Recipients-Key',
      headersOf(c.sent, 0).find(([n]) => n === 'Recipients-Key')![1] as string,
    ])
    expect(codes(await verify(key))).toEqual(['unsigned_header'])
  })

  it('binds To, Cc and the salt: changing To or the Recipients-Salt breaks the eht', async () => {
    expect(codes(await verify(setHeader(clone(c.toBob), 0, 'To', 'Mallory <mallory@example.net>')))).toEqual([
      'eht_mismatch',
    ])
    const salt = `<${Buffer.alloc(32, 7).toString('base64url')}>`
    expect(codes(await verify(setHeader(clone(c.toBob), 0, 'Recipients-Salt', salt)))).toEqual([
      'eht_mismatch',
    ])
    // Without the salt the To value would be hashed in clear; such a block is refused before that.
    const stripped = clone(c.toBob)
    const h = headersOf(stripped, 0)
    h.splice(
      h.findIndex(([n]) => n === 'Recipients-Salt'),
      1,
    )
    expect(codes(await verify(stripped))).toEqual(['unsalted_recipients'])
  })

  it('refuses an origin block that names To or Cc without a Recipients-Salt, though signed over them in clear', async () => {
    // An AS that signed the recipients unblinded (it saw To and Cc): a valid signature, an unsalted chain.
    const unsalted = headersOf(c.toBob, 0).filter(([n]) => n !== 'Recipients-Salt')
    const ehl = ['Message-ID', 'From', 'Recipients-Digest', 'Body-Digest', 'Date', 'Subject', 'To']
    const m: PlaceholderMessage = {
      envelope: [{ 'jwt-assertion': await forgeOrigin(unsalted, ehl) }, { headers: unsalted }],
      parts: c.toBob.parts,
    }
    const v = await verify(m)
    expect(codes(v)).toEqual(['unsalted_recipients'])
    expect(v.hops[0]?.reason).toMatch(/names To or Cc but carries no Recipients-Salt/)
    // With Cc only, the same.
    const ccOnly = unsalted.map(([n, value]): Header => (n === 'To' ? ['Cc', value] : [n, value]))
    const ccEhl = ehl.map((n) => (n === 'To' ? 'Cc' : n))
    const cc: PlaceholderMessage = {
      envelope: [{ 'jwt-assertion': await forgeOrigin(ccOnly, ccEhl) }, { headers: ccOnly }],
      parts: c.toBob.parts,
    }
    expect(codes(await verify(cc))).toEqual(['unsalted_recipients'])
  })

  it('refuses a Recipients-Salt when the assertion signs neither To nor Cc', async () => {
    const noTo = headersOf(c.toBob, 0).filter(([n]) => n !== 'To')
    const ehl = [
      'Message-ID',
      'From',
      'Recipients-Digest',
      'Body-Digest',
      'Date',
      'Subject',
      'X-Thread-ID',
      'Content-Type',
    ]
    const jws = await forgeOrigin(noTo, ehl)
    const m: PlaceholderMessage = {
      envelope: [{ 'jwt-assertion': jws }, { headers: noTo }],
      parts: c.toBob.parts,
    }
    const v = await verify(m)
    expect(codes(v)).toEqual(['unsigned_header'])
    expect(v.hops[0]?.reason).toMatch(/Recipients-Salt is present but the assertion signs neither To nor Cc/)
  })
})

describe('verifyChain: structure', () => {
  it('detects a removed hop', async () => {
    // Bobby's copy without hop 2 (A2 + Bob's block): the receipt no longer names the newest assertion.
    const m = clone(c.atBobby)
    m.envelope.splice(1, 2)
    expect(codes(await verify(m))).toEqual(['assertion_link_mismatch'])
    // Without the forwarding block alone, the blocks are out of order.
    const n = clone(c.toBobby)
    n.envelope.splice(1, 1)
    expect(codes(await verify(n))).toEqual(['pass', 'malformed_chain'])
  })

  it('detects reordered hops', async () => {
    const m = clone(c.toBobby)
    ;[m.envelope[0], m.envelope[2]] = [m.envelope[2]!, m.envelope[0]!]
    const v = await verify(m)
    expect(v.ok).toBe(false)
    expect(v.hops[0]!.status).toBe('fail')
  })

  it('fails input that is not a Placeholder Message instead of throwing', async () => {
    for (const bad of [
      null,
      {},
      { envelope: 'x', parts: [] },
      { envelope: [{ 'jwt-assertion': 'a.b.c' }], parts: [] },
    ]) {
      const v = await verify(bad as unknown as PlaceholderMessage)
      expect(v.ok).toBe(false)
      expect(v.hops[0]!.code).toBe('malformed_chain')
    }
  })

  it('fails a message that carries no assertion', async () => {
    const v = await verify(sealForSend(aliceDraft(), { date: TIMES.send }).message)
    expect(v).toEqual({
      ok: false,
      hops: [expect.objectContaining({ index: 0, status: 'fail', code: 'missing_assertion' })],
    })
  })

  it('fails a newest block that forwards without an assertion', async () => {
    const { message } = addForwarding(c.atBob, {
      forwardedFrom: { address: 'bob@example.net' },
      forwardedTo: [{ address: 'bobby@example.org' }],
      date: TIMES.forward,
    })
    expect(codes(await verify(message))).toEqual(['malformed_chain'])
  })

  it('fails a chain longer than 16 hops without verifying any signature', async () => {
    let calls = 0
    const blocks: EnvelopeBlock[] = []
    for (let i = 0; i < 17; i++) blocks.push({ 'jwt-assertion': c.jws1 }, { headers: headersOf(c.atBob, 2) })
    const m = { envelope: [...blocks.slice(0, -1), ...c.sent.envelope], parts: c.sent.parts }
    const v = await verify(m, {
      resolveKey: () => {
        calls++
        return testResolveKey()(ISSUERS.as1)
      },
    })
    expect(codes(v)).toEqual(['too_large'])
    expect(calls).toBe(0)
  })
})

describe('verifyChain: keys and claims', () => {
  it('fails an unknown issuer or a key the issuer does not publish', async () => {
    expect(codes(await verify(c.toBob, { resolveKey: testResolveKey({}) }))).toEqual(['unknown_key'])
    const h = headersOf(c.toBob, 0)
    const ehl = [
      'Message-ID',
      'From',
      'Recipients-Digest',
      'Body-Digest',
      'Date',
      'Subject',
      'To',
      'X-Thread-ID',
    ]
    const bySomeoneElse = await signRaw(
      {
        iss: ISSUERS.as1,
        sub: 'a',
        azp: MTA.as1,
        scope: 'internet_mail',
        cnf: { jkt: JKT.hop1 },
        eh: { eht: ehThumbprint(h, ehl), ehl },
        iat: secs(TIMES.send),
        exp: secs(TIMES.send) + 60,
        jti: 'x',
      },
      'as2',
    )
    const m = pushAssertion({ envelope: c.toBob.envelope.slice(1), parts: c.toBob.parts }, bySomeoneElse)
    expect(codes(await verify(m))).toEqual(['unknown_key'])
    expect(TEST_KEYS.as2.kid).not.toBe(TEST_KEYS.as1.kid)
  })

  it('fails an assertion whose ehl omits a required header', async () => {
    const base = { envelope: c.toBob.envelope.slice(1), parts: c.toBob.parts }
    const h = headersOf(c.toBob, 0)
    const jws = await forgeOrigin(
      h,
      [
        'Message-ID',
        'From',
        'Recipients-Digest',
        'Date',
        'Subject',
        'To',
        'X-Thread-ID',
        'Body-Digest',
      ].filter((n) => n !== 'Body-Digest'),
    )
    expect(codes(await verify(pushAssertion(base, jws)))).toEqual(['ehl_incomplete'])
  })

  it('fails an assertion that signs only part of the block', async () => {
    const base = { envelope: c.toBob.envelope.slice(1), parts: c.toBob.parts }
    const jws = await forgeOrigin(headersOf(c.toBob, 0), [
      'Message-ID',
      'From',
      'Recipients-Digest',
      'Body-Digest',
    ])
    const v = await verify(pushAssertion(base, jws))
    expect(codes(v)).toEqual(['unsigned_header'])
  })

  it('fails an eht over other values, and an ehl naming absent headers', async () => {
    const base = { envelope: c.toBob.envelope.slice(1), parts: c.toBob.parts }
    const h = headersOf(c.toBob, 0)
    const ehl = [
      'Message-ID',
      'From',
      'Recipients-Digest',
      'Body-Digest',
      'Date',
      'Subject',
      'To',
      'X-Thread-ID',
    ]
    const other = h.map(([n, v]): Header => [n, n === 'Subject' ? 'Something else' : v])
    expect(codes(await verify(pushAssertion(base, await forgeOrigin(other, ehl))))).toEqual(['eht_mismatch'])
    const withCc: Header[] = [...h, ['Cc', 'x@example.org']]
    expect(codes(await verify(pushAssertion(base, await forgeOrigin(withCc, [...ehl, 'Cc']))))).toEqual([
      'eht_mismatch',
    ])
  })

  it('fails a token of another kind used as a hop assertion', async () => {
    const base = { envelope: c.toBob.envelope.slice(1), parts: c.toBob.parts }
    const ehl = [
      'Message-ID',
      'From',
      'Recipients-Digest',
      'Body-Digest',
      'Date',
      'Subject',
      'To',
      'X-Thread-ID',
    ]
    const jws = await forgeOrigin(headersOf(c.toBob, 0), ehl, {}, 'at+jwt')
    expect(codes(await verify(pushAssertion(base, jws)))).toEqual(['wrong_typ'])
    const noScope = await forgeOrigin(headersOf(c.toBob, 0), ehl, { scope: 'openid' })
    expect(codes(await verify(pushAssertion(base, noScope)))).toEqual(['invalid_jwt'])
    const future = await forgeOrigin(headersOf(c.toBob, 0), ehl, {
      iat: VERIFY_AT + 3600,
      exp: VERIFY_AT + 7200,
    })
    expect(codes(await verify(pushAssertion(base, future)))).toEqual(['not_yet_valid'])
  })
})
