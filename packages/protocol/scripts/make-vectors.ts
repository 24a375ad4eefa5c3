/**
 * Writes the message, digest and chain test vectors (test-vectors/{digests,messages,chain}-*.json).
 * Deterministic except the ES256 signature of hop 1 (ECDSA is randomized): the vectors store the compact
 * JWS and the expected verification results, so regenerating changes only that signature.
 *   npx tsx scripts/make-vectors.ts
 */
import { writeFileSync } from 'node:fs'
import {
  bodyDigest,
  canonicalRecipients,
  digest,
  ehHeaders,
  ehThumbprint,
  jcs,
  jwtAssertionDigest,
  recipientsDigest,
} from '../src/digest/index.ts'
import { verifyChain } from '../src/envelope/index.ts'
import { ProtocolError } from '../src/errors.ts'
import { type Header, type PlaceholderMessage, serializeMessageYaml } from '../src/message/index.ts'
import {
  BODIES,
  buildTwoHopChain,
  ISSUERS,
  SECRETS,
  TEST_JWKS,
  TEST_KEYS,
  testResolveKey,
  VERIFY_AT,
} from '../test/fixtures/two-hop-chain.ts'

const out = new URL('../test-vectors/', import.meta.url)
type V = { name: string; input: unknown; expected: unknown }
const write = (file: string, kind: string, description: string, vectors: V[]) => {
  writeFileSync(new URL(file, out), `${JSON.stringify({ kind, description, vectors }, null, 2)}\n`)
}
const errorOf = (fn: () => unknown): { error: string } => {
  try {
    fn()
  } catch (e) {
    if (e instanceof ProtocolError) return { error: e.code }
    throw e
  }
  throw new Error('expected an error')
}
const clone = <T>(v: T): T => structuredClone(v)
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')

const chain = await buildTwoHopChain()

// Content-ID
const photo = BODIES.photo
write(
  'digests-content-id.json',
  'content-id',
  'Content-ID = base64url(SHA-256(exact bytes)), 43 characters, no padding (docs/protocol.md §2). Input bytes as UTF-8 text or base64.',
  [
    { name: 'empty resource', input: { base64: '' }, expected: { contentId: digest(''), size: 0 } },
    { name: 'abc', input: { utf8: 'abc' }, expected: { contentId: digest('abc'), size: 3 } },
    {
      name: 'the text body of the Fig. 3 message',
      input: { utf8: BODIES.text },
      expected: { contentId: digest(BODIES.text), size: Buffer.byteLength(BODIES.text) },
    },
    {
      name: 'the html body of the Fig. 3 message',
      input: { utf8: BODIES.html },
      expected: { contentId: digest(BODIES.html), size: Buffer.byteLength(BODIES.html) },
    },
    {
      name: 'non-ASCII text is hashed as UTF-8',
      input: { utf8: 'Benátky 🌊' },
      expected: { contentId: digest('Benátky 🌊'), size: Buffer.byteLength('Benátky 🌊') },
    },
    {
      name: 'the stand-in photo (byte i = i mod 251, 4096 bytes)',
      input: { base64: b64(photo) },
      expected: { contentId: digest(photo), size: photo.length },
    },
  ],
)

// JCS
const jcsCases: Array<[string, unknown]> = [
  [
    'key order by UTF-16 code units (RFC 8785 §3.2.3)',
    {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew',
      '1': 'One',
      '\ud83d\ude00': 'Emoji',
      '\u0080': 'Control',
      '\u00f6': 'o umlaut',
    },
  ],
  [
    'numbers as ECMAScript serializes them (RFC 8785 §3.2.2.3)',
    { numbers: [333333333.3333333, 1e30, 4.5, 0.002, 1e-27, -0, 100], literals: [null, true, false] },
  ],
  ['string escapes: only the mandatory ones', { s: '\u0000\u001f "\\ / é \u2028 😀' }],
  ['nested arrays keep order, objects are sorted', [{ b: [3, 1, 2], a: { d: 1, c: 2 } }, []]],
  [
    'a header list as hashed for eht',
    [
      ['Message-ID', '<1@example.com>'],
      ['From', 'Alice <alice@example.com>'],
    ],
  ],
]
write(
  'digests-jcs.json',
  'jcs',
  'RFC 8785 JSON Canonicalization Scheme: input JSON value → canonical UTF-8 text and its digest; values JCS cannot represent are refused.',
  [
    ...jcsCases.map(([name, input]) => ({
      name,
      input: { value: input },
      expected: { jcs: jcs(input), digest: digest(jcs(input)) },
    })),
    {
      name: 'a lone surrogate is refused',
      input: { value: ['\ud800'] },
      expected: { error: 'malformed_json' },
    },
  ],
)

// Body-Digest
const emptyBodyParts: PlaceholderMessage['parts'] = []
write(
  'digests-body-digest.json',
  'body-digest',
  'Body-Digest = digest(JCS(parts)), parts being the body tree of the JSON model (docs/protocol.md §2).',
  [
    {
      name: 'the Fig. 3 message body',
      input: { parts: chain.draft.parts },
      expected: { jcs: jcs(chain.draft.parts), digest: bodyDigest(chain.draft.parts) },
    },
    {
      name: 'no body parts',
      input: { parts: emptyBodyParts },
      expected: { jcs: '[]', digest: bodyDigest([]) },
    },
    {
      name: 'a single attachment leaf',
      input: { parts: [chain.draft.parts[1]] },
      expected: { jcs: jcs([chain.draft.parts[1]]), digest: bodyDigest([chain.draft.parts[1]!]) },
    },
  ],
)

// Recipients-Digest
const rd = (name: string, addresses: string[], key?: Buffer): V => ({
  name,
  input: key === undefined ? { addresses } : { addresses, key: key.toString('base64url') },
  expected: {
    canonical: canonicalRecipients(addresses).join('\n'),
    digest: recipientsDigest(addresses, key),
  },
})
write(
  'digests-recipients-digest.json',
  'recipients-digest',
  'Recipients-Digest over the addr-specs lower-cased, de-duplicated, sorted by UTF-16 code units, joined by "\\n": at the origin hop HMAC-SHA-256 keyed with the per-message Recipients-Key (`key`, base64url of 32 bytes), at a forwarding hop the plain digest (no `key`) (docs/protocol.md §2).',
  [
    rd(
      'Alice to Bob with Bcc Carol (the origin hop, keyed)',
      ['Bob <bob@example.net>', 'carol@example.org'],
      SECRETS.key,
    ),
    rd(
      'the same recipients under another key give an unrelated digest',
      ['Bob <bob@example.net>', 'carol@example.org'],
      Buffer.alloc(32, 1),
    ),
    rd('Bob forwards to Bobby (the forwarding hop, unkeyed)', ['Bobby <bobby@example.org>']),
    rd('case and duplicates are folded', [
      'BOB@Example.NET',
      'bob@example.net',
      '"Smith, Bob" <Bob@example.net>',
      'alice@example.com',
    ]),
    rd('sorting is by code unit, not locale', [
      'zoe@example.org',
      'Zoë@example.org',
      'adam@example.org',
      '_x@example.org',
    ]),
    {
      name: 'no recipients is an error',
      input: { addresses: [] },
      expected: errorOf(() => recipientsDigest([])),
    },
    {
      name: 'a non-address is an error',
      input: { addresses: ['bob'] },
      expected: errorOf(() => recipientsDigest(['bob'])),
    },
    {
      name: 'a key that is not 32 bytes is an error',
      input: { addresses: ['bob@example.net'], key: Buffer.alloc(16).toString('base64url') },
      expected: errorOf(() => recipientsDigest(['bob@example.net'], Buffer.alloc(16))),
    },
  ],
)

// eht
const originBlock = (chain.sent.envelope[1] as { headers: Header[] }).headers
const fwdBlock = (chain.toBobby.envelope[1] as { headers: Header[] }).headers
const eht = (name: string, headers: Header[], ehl: string[]): V => ({
  name,
  input: { headers, ehl },
  expected: { pairs: ehHeaders(headers, ehl), eht: ehThumbprint(headers, ehl) },
})
const dupBlock: Header[] = [
  ['X-Tag', 'one'],
  ['Message-ID', '<1@example.com>'],
  ['x-tag', 'two'],
  ['from', 'a@example.com'],
]
write(
  'digests-eht.json',
  'eht',
  'eht = digest(JCS([[name, value], …])) over the headers named in ehl, in ehl order; every header of that name (case-insensitive) in block order; names and values as they stand, except To and Cc in a block with a Recipients-Salt, whose values are "<" + base64url(HMAC-SHA-256(salt bytes, value)) + ">" (docs/protocol.md §2).',
  [
    eht(
      "origin block of Fig. 3 (Alice's copy: Bcc and Recipients-Key present, not signed; To blinded with the Recipients-Salt)",
      originBlock,
      chain.eh1.ehl,
    ),
    eht(
      'a block without Recipients-Salt (signed before blinding): To as it stands',
      originBlock.filter(([n]) => n !== 'Recipients-Salt'),
      chain.eh1.ehl,
    ),
    eht('forwarding block of Fig. 3', fwdBlock, chain.eh2.ehl),
    eht('the design minimum for an origin hop', originBlock, [
      'Message-ID',
      'From',
      'Recipients-Digest',
      'Body-Digest',
    ]),
    eht('duplicates and case as they stand', dupBlock, ['Message-ID', 'X-Tag', 'From']),
    eht(
      'an empty Subject is signed as it stands (RFC 5322 §3.6.5)',
      [...dupBlock, ['Subject', '']],
      ['Message-ID', 'From', 'Subject'],
    ),
    {
      name: 'ehl naming an absent header is an error',
      input: { headers: dupBlock, ehl: ['Subject'] },
      expected: errorOf(() => ehThumbprint(dupBlock, ['Subject'])),
    },
    {
      name: 'ehl naming a header twice is an error',
      input: { headers: dupBlock, ehl: ['From', 'FROM'] },
      expected: errorOf(() => ehThumbprint(dupBlock, ['From', 'FROM'])),
    },
  ],
)

// JWT-Assertion-Digest
write(
  'digests-jwt-assertion-digest.json',
  'jwt-assertion-digest',
  'JWT-Assertion-Digest = digest(ASCII bytes of the compact JWS) (docs/protocol.md §2).',
  [
    {
      name: 'hop 1 assertion of Fig. 3',
      input: { jws: chain.jws1 },
      expected: { digest: jwtAssertionDigest(chain.jws1) },
    },
    {
      name: 'hop 2 assertion of Fig. 3 (EdDSA: deterministic)',
      input: { jws: chain.jws2 },
      expected: { digest: jwtAssertionDigest(chain.jws2) },
    },
    {
      name: 'whitespace is not part of a JWS',
      input: { jws: `${chain.jws1}\n` },
      expected: errorOf(() => jwtAssertionDigest(`${chain.jws1}\n`)),
    },
  ],
)

// Message codecs
const tricky = clone(chain.draft)
;(tricky.envelope[0] as { headers: Header[] }).headers.push(
  ['X-Yes', 'yes'],
  ['X-Number', '0012'],
  ['X-Null', 'null'],
  ['X-Empty', ''],
  ['X-Quote', `it's "quoted" # not a comment: really`],
  ['X-Unicode', 'Benátky 🌊 \t tab'],
  ['x-yes', 'no'],
)
const codec = (name: string, m: PlaceholderMessage): V => ({
  name,
  input: { json: m },
  expected: { yaml: serializeMessageYaml(m) },
})
write(
  'messages-codec.json',
  'message-codec',
  'JSON model ⇄ YAML rendering (the seed figures layout). Parsing the YAML (every scalar a string) must give the JSON model back; rendering the model must give this YAML.',
  [
    codec('draft (Fig. 1)', chain.draft),
    codec("Alice's sent copy with Bcc and the hop-1 assertion", chain.sent),
    codec("Bobby's copy: the complete two-hop chain (Fig. 3)", chain.atBobby),
    codec('strings YAML would otherwise type, duplicates and Unicode', tricky),
  ],
)

// Invalid messages
const draftJson = chain.draft
const withHeader = (h: [string, unknown]) => {
  const m = clone(draftJson) as unknown as { envelope: { headers: unknown[] }[] }
  m.envelope[0]!.headers.push(h)
  return m
}
const leafCid = (value: string) => {
  const m = clone(draftJson)
  m.parts[1]!.headers[1] = ['Content-ID', value]
  return m
}
const head = 'envelope:\n  - headers:\n      - From: a@b.c\n      - Message-ID: <a@b>\n'
const laughs = ['a0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]']
for (let i = 1; i < 9; i++)
  laughs.push(
    `a${i}: &a${i} [${Array(9)
      .fill(`*a${i - 1}`)
      .join(',')}]`,
  )
write(
  'messages-invalid.json',
  'message-invalid',
  'Inputs every implementation must refuse, with the error code this profile gives them.',
  [
    {
      name: 'YAML alias bomb (billion laughs)',
      input: { yaml: `${laughs.join('\n')}\n` },
      expected: { error: 'malformed_yaml' },
    },
    {
      name: 'YAML alias',
      input: { yaml: `${head}      - X-A: &x a\n      - X-B: *x\n` },
      expected: { error: 'malformed_yaml' },
    },
    {
      name: 'YAML custom tag',
      input: { yaml: `${head}      - X-A: !js/function x\n` },
      expected: { error: 'malformed_yaml' },
    },
    {
      name: 'YAML merge key',
      input: { yaml: 'envelope:\n  - <<: {headers: []}\n' },
      expected: { error: 'malformed_yaml' },
    },
    {
      name: 'YAML duplicate key',
      input: { yaml: `${head}parts: []\nparts: []\n` },
      expected: { error: 'malformed_yaml' },
    },
    { name: 'YAML syntax error', input: { yaml: 'envelope: [\n' }, expected: { error: 'malformed_yaml' } },
    { name: 'JSON syntax error', input: { text: '{"envelope": [' }, expected: { error: 'malformed_json' } },
    {
      name: 'header as an object',
      input: { json: withHeader(['X', { a: 1 }]) },
      expected: { error: 'malformed_message' },
    },
    {
      name: 'header value with a line break',
      input: { json: withHeader(['X-A', 'a\r\nBcc: evil@example.org']) },
      expected: { error: 'malformed_message' },
    },
    {
      name: 'header name with a space',
      input: { json: withHeader(['X A', 'a']) },
      expected: { error: 'malformed_message' },
    },
    {
      name: 'the reserved header name << (a YAML merge key)',
      input: { json: withHeader(['<<', 'a']) },
      expected: { error: 'malformed_message' },
    },
    {
      name: 'a quoted "<<" key in YAML is still the reserved name',
      input: { yaml: `${head}      - "<<": a\n` },
      expected: { error: 'malformed_message' },
    },
    {
      name: 'Content-ID too short',
      input: { json: leafCid('<abc>') },
      expected: { error: 'invalid_digest' },
    },
    {
      name: 'Content-ID not base64url',
      input: { json: leafCid(`<${'+'.repeat(42)}A>`) },
      expected: { error: 'invalid_digest' },
    },
    {
      name: 'Content-ID with non-canonical last character',
      input: { json: leafCid(`<${'A'.repeat(42)}B>`) },
      expected: { error: 'invalid_digest' },
    },
    {
      name: 'Content-ID without angle brackets',
      input: { json: leafCid(digest('x')) },
      expected: { error: 'invalid_digest' },
    },
    {
      name: 'From that is not an address',
      input: {
        json: {
          envelope: [
            {
              headers: [
                ['From', 'Alice'],
                ['Message-ID', '<a@b>'],
              ],
            },
          ],
          parts: [],
        },
      },
      expected: { error: 'invalid_address' },
    },
    {
      name: 'more than 256 headers in a block',
      input: {
        json: {
          envelope: [
            {
              headers: [
                ['From', 'a@b.c'],
                ['Message-ID', '<a@b>'],
                ...Array.from({ length: 256 }, (_, i) => [`X-${i}`, 'v']),
              ],
            },
          ],
          parts: [],
        },
      },
      expected: { error: 'too_large' },
    },
    {
      name: 'parts nested deeper than 8',
      input: {
        json: {
          envelope: draftJson.envelope,
          parts: [
            Array.from({ length: 8 }).reduce<unknown>(
              (p) => ({ headers: [['Content-Type', 'multipart/mixed']], parts: [p] }),
              draftJson.parts[1],
            ),
          ],
        },
      },
      expected: { error: 'too_large' },
    },
    {
      name: 'a leaf whose size is not a non-negative integer',
      input: {
        json: (() => {
          const m = clone(draftJson)
          m.parts[1]!.headers[2] = [
            'Content-Type',
            [
              'message/external-body; access-type=x-content-addressed-uri; hash-algorithm=sha256; size=-5',
              'image/png',
            ],
          ]
          return m
        })(),
      },
      expected: { error: 'malformed_message' },
    },
  ],
)

// Chain
const jwks = TEST_JWKS
const summarize = async (m: PlaceholderMessage) => {
  const v = await verifyChain(m, { resolveKey: testResolveKey(), now: VERIFY_AT, lastHopMustBeFresh: true })
  return { ok: v.ok, hops: v.hops.map(({ reason: _r, ...h }) => h) }
}
const stage = async (name: string, m: PlaceholderMessage): Promise<V> => ({
  name,
  input: { message: m, jwks, now: VERIFY_AT, lastHopMustBeFresh: true },
  expected: {
    ...(await summarize(m)),
    eh: [chain.eh1, chain.eh2].slice(0, m.envelope.filter((b) => 'jwt-assertion' in b).length),
  },
})
const tampered = async (name: string, m: PlaceholderMessage): Promise<V> => ({
  name,
  input: { message: m, jwks, now: VERIFY_AT, lastHopMustBeFresh: true },
  expected: await summarize(m),
})
const subject = clone(chain.toBobby)
const orig = subject.envelope[3] as { headers: Header[] }
orig.headers = orig.headers.map(([n, v]) => [n, n === 'Subject' ? 'Vacation photos' : v])
const dropped = clone(chain.atBobby)
dropped.envelope.splice(1, 2)
const swapped = clone(chain.toBobby)
;[swapped.envelope[0], swapped.envelope[2]] = [swapped.envelope[2]!, swapped.envelope[0]!]
const redirected = clone(chain.toBobby)
const fwd = redirected.envelope[1] as { headers: Header[] }
fwd.headers = fwd.headers.map(([n, v]) => [n, n === 'Forwarded-To' ? 'Mallory <mallory@example.org>' : v])
const body = clone(chain.toBobby)
body.parts[1]!.headers[1] = ['Content-ID', `<${digest('another photo')}>`]
const late = { ...(await tampered('hop 2 expired at delivery (lastHopMustBeFresh)', chain.toBobby)) }
;(late.input as { now: number }).now = VERIFY_AT + 30 * 86400
{
  const v = await verifyChain(chain.toBobby, {
    resolveKey: testResolveKey(),
    now: VERIFY_AT + 30 * 86400,
    lastHopMustBeFresh: true,
  })
  late.expected = { ok: v.ok, hops: v.hops.map(({ reason: _r, ...h }) => h) }
}
write(
  'chain-two-hop.json',
  'chain',
  "The seed's Fig. 3 journey: Alice (example.com) → Bob (example.net, auto-forward) → Bobby (example.org). TEST-ONLY keys: AS1 ES256 (signatures randomized, so the JWS is stored), AS2 EdDSA (deterministic). Verify each message with the public JWKS per issuer at `now`; compare per-hop results (reason texts are free-form and omitted).",
  [
    {
      name: 'fixed keys and claims (for regeneration in another language)',
      input: { privateJwks: TEST_KEYS, issuers: ISSUERS, jws: [chain.jws1, chain.jws2] },
      expected: {
        kids: [TEST_KEYS.as1.kid, TEST_KEYS.as2.kid],
        assertionDigests: [jwtAssertionDigest(chain.jws1), jwtAssertionDigest(chain.jws2)],
      },
    },
    await stage("Alice's sent copy (Bcc kept, unsigned)", chain.sent),
    await stage('delivered to example.net', chain.toBob),
    await stage("Bob's stored copy (receipt on top)", chain.atBob),
    await stage('forwarded to example.org (in transit)', chain.toBobby),
    await stage("Bobby's stored copy (Fig. 3)", chain.atBobby),
    await tampered('original Subject changed', subject),
    await tampered('a resource swapped in the body', body),
    await tampered('Forwarded-To redirected', redirected),
    await tampered('hop 2 removed', dropped),
    await tampered('hops reordered', swapped),
    late,
  ],
)
console.log('vectors written to', out.pathname)
