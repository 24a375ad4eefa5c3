import type { Network } from '@federizer/devnet'
import {
  digest,
  ehThumbprint,
  jwkThumbprint,
  originalHeaders,
  type PlaceholderMessage,
  readMessage,
  serializeMessageYaml,
  signHopAssertion,
} from '@federizer/protocol'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  deliverThroughMta,
  heldDelivery,
  NOTHING,
  postDelivery,
  storedFor,
  twoHopChain,
} from './federation-bad-input-helpers.ts'
import { db, openNetwork, threeDomains } from './federation-helpers.ts'

let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network

beforeAll(async () => {
  // Sent mail stays held for an hour, so each test decides what reaches the receiver.
  net = await openNetwork({
    domains: threeDomains(),
    undoSendSeconds: 3600,
    limits: { maxPlaceholderBytes: 64 * 1024 },
  })
  network = net.network
}, 60_000)
afterAll(async () => {
  await net?.close()
})

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v))

/** Replaces the value of `name` in the original (oldest) block. */
function setOriginal(m: PlaceholderMessage, name: string, value: string): PlaceholderMessage {
  const copy = clone(m)
  const headers = originalHeaders(copy)
  const h = headers.find(([n]) => n.toLowerCase() === name.toLowerCase())
  if (!h) throw new Error(`no ${name}`)
  h[1] = value
  return copy
}

describe('delivery refuses tampered messages, stores nothing, and the sender learns why', () => {
  it('a tampered header (Subject) → 400 invalid_chain (eht mismatch)', { timeout: 30_000 }, async () => {
    const { placeholder, key, row, sent } = await heldDelivery(network)
    const tampered = setOriginal(placeholder, 'Subject', 'Wire the money today')
    const res = await postDelivery(network, 'example.net', { placeholder: tampered, key })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_chain')
    expect(res.body.error_description).toMatch(/eht/)
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toEqual(NOTHING)
    expect(await deliverThroughMta(network, row, tampered)).toMatch(/invalid_chain\): HTTP 400/)
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toEqual(NOTHING)
  })

  it('a tampered body (a part header changed) → 400 invalid_chain (Body-Digest mismatch)', {
    timeout: 30_000,
  }, async () => {
    const { placeholder, key, row, sent } = await heldDelivery(network)
    const tampered = clone(placeholder)
    const leaf = tampered.parts[0]!.parts?.[0] ?? tampered.parts[0]!
    leaf.headers.push(['Content-Description', 'injected'])
    const res = await postDelivery(network, 'example.net', { placeholder: tampered, key })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ error: 'invalid_chain' })
    expect(res.body.error_description).toMatch(/Body-Digest/)
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toEqual(NOTHING)
    expect(await deliverThroughMta(network, row, tampered)).toMatch(/invalid_chain\): HTTP 400/)
  })

  it('a wrong Body-Digest header → 400 invalid_chain', { timeout: 30_000 }, async () => {
    const { placeholder, key, row, sent } = await heldDelivery(network)
    const tampered = setOriginal(placeholder, 'Body-Digest', `<${digest('another body')}>`)
    const res = await postDelivery(network, 'example.net', { placeholder: tampered, key })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_chain')
    expect(res.body.error_description).toMatch(/Body-Digest/)
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toEqual(NOTHING)
    expect(await deliverThroughMta(network, row, tampered)).toMatch(/invalid_chain\): HTTP 400/)
  })

  it("an assertion signed by another domain's AS → 401 invalid_token", { timeout: 30_000 }, async () => {
    const { placeholder, key, row, sent } = await heldDelivery(network)
    const genuine = decodeJwt(
      placeholder.envelope[0] && 'jwt-assertion' in placeholder.envelope[0]
        ? placeholder.envelope[0]['jwt-assertion']
        : '',
    ) as {
      eh: { ehl: string[] }
      sub: string
    }
    const org = network.node('example.org').gateway!.ctx
    const now = Math.floor(Date.now() / 1000)
    const forged = await signHopAssertion(
      {
        iss: org.as.issuer,
        sub: genuine.sub,
        azp: 'mta.example.com',
        cnf: { jkt: await jwkThumbprint(key.publicJwk) },
        eh: { eht: ehThumbprint(originalHeaders(placeholder), genuine.eh.ehl), ehl: genuine.eh.ehl },
        iat: now,
        exp: now + 3600,
        jti: `forged-${now}`,
      },
      await org.as.signingKey(),
    )
    const tampered = clone(placeholder)
    tampered.envelope[0] = { 'jwt-assertion': forged }
    const res = await postDelivery(network, 'example.net', { placeholder: tampered, key })
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_token')
    expect(res.body.error_description).toContain('example.com')
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toEqual(NOTHING)
    expect(await deliverThroughMta(network, row, tampered)).toMatch(/invalid_token/)
  })

  it('an assertion whose azp is another client of the right AS → 401 invalid_token', {
    timeout: 30_000,
  }, async () => {
    const { placeholder, key, row, sent } = await heldDelivery(network)
    const genuine = decodeJwt((placeholder.envelope[0] as { 'jwt-assertion': string })['jwt-assertion']) as {
      eh: { ehl: string[] }
      sub: string
    }
    const com = network.node('example.com').gateway!.ctx
    const now = Math.floor(Date.now() / 1000)
    const wrongAzp = await signHopAssertion(
      {
        iss: com.as.issuer,
        sub: genuine.sub,
        azp: 'webmail.example.com',
        cnf: { jkt: await jwkThumbprint(key.publicJwk) },
        eh: { eht: ehThumbprint(originalHeaders(placeholder), genuine.eh.ehl), ehl: genuine.eh.ehl },
        iat: now,
        exp: now + 3600,
        jti: `azp-${now}`,
      },
      await com.as.signingKey(),
    )
    const tampered = clone(placeholder)
    tampered.envelope[0] = { 'jwt-assertion': wrongAzp }
    const res = await postDelivery(network, 'example.net', { placeholder: tampered, key })
    expect(res.status).toBe(401)
    expect(res.body).toMatchObject({ error: 'invalid_token' })
    expect(res.body.error_description).toMatch(/azp webmail\.example\.com/)
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toEqual(NOTHING)
    expect(await deliverThroughMta(network, row, tampered)).toMatch(/invalid_token\): HTTP 401/)
  })

  it('a replayed DPoP proof → 401 invalid_dpop_proof, and the first delivery is not stored twice', {
    timeout: 30_000,
  }, async () => {
    const { placeholder, key, sent } = await heldDelivery(network)
    const first = await postDelivery(network, 'example.net', { placeholder, key })
    expect(first.status).toBe(202)
    const before = await storedFor(network, 'example.net', sent.messageIdHeader)
    expect(before).toMatchObject({ inbound: 1, messages: 1 })
    const replay = await postDelivery(network, 'example.net', { placeholder, key, proof: first.proof })
    expect(replay.status).toBe(401)
    expect(replay.body.error).toBe('invalid_dpop_proof')
    expect(replay.body.error_description).toMatch(/already used/)
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toEqual(before)
    // A genuine retry (fresh proof) of the same delivery is idempotent: 200, nothing new.
    const retry = await postDelivery(network, 'example.net', { placeholder, key })
    expect(retry.status).toBe(200)
    expect(retry.body.results).toEqual([{ recipient: 'bob@example.net', status: 'accepted' }])
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toEqual(before)
  })

  it("a proof made with another key than the assertion's cnf.jkt → 401 invalid_dpop_proof", {
    timeout: 30_000,
  }, async () => {
    const { placeholder, sent } = await heldDelivery(network)
    const other = await heldDelivery(network)
    const res = await postDelivery(network, 'example.net', { placeholder, key: other.key })
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_dpop_proof')
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toEqual(NOTHING)
  })

  it('a chain with a hop removed or reordered → 400 invalid_chain', { timeout: 30_000 }, async () => {
    const { forwarded, key } = await twoHopChain(network)
    const messageId = (originalHeaders(forwarded).find(([n]) => n === 'Message-ID')?.[1] ?? '') as string
    // Sanity: the untouched two-hop chain is accepted by example.org.
    const removed = clone(forwarded)
    removed.envelope.splice(-2, 1) // the origin's assertion
    const resRemoved = await postDelivery(network, 'example.org', {
      placeholder: removed,
      key,
      recipients: ['bobby@example.org'],
    })
    expect(resRemoved.status).toBe(400)
    expect(resRemoved.body.error).toBe('invalid_chain')
    const reordered = clone(forwarded)
    // The two hops' assertions swap places.
    const [a, b] = [reordered.envelope[0]!, reordered.envelope[2]!]
    reordered.envelope[0] = b
    reordered.envelope[2] = a
    const resReordered = await postDelivery(network, 'example.org', {
      placeholder: reordered,
      key,
      recipients: ['bobby@example.org'],
    })
    expect(resReordered.status).toBe(400)
    expect(resReordered.body).toMatchObject({ error: 'invalid_chain' })
    expect(await storedFor(network, 'example.org', messageId)).toEqual(NOTHING)
    const ok = await postDelivery(network, 'example.org', {
      placeholder: forwarded,
      key,
      recipients: ['bobby@example.org'],
    })
    expect(ok.status).toBe(202)
  })

  it('a forged Forwarded-To → 400 invalid_chain', { timeout: 30_000 }, async () => {
    const { forwarded, key } = await twoHopChain(network)
    const forged = clone(forwarded)
    const block = forged.envelope[1] as { headers: [string, string][] }
    const h = block.headers.find(([n]) => n === 'Forwarded-To')!
    h[1] = 'Mallory <bobby@example.org>, mallory@example.org'
    const res = await postDelivery(network, 'example.org', {
      placeholder: forged,
      key,
      recipients: ['bobby@example.org'],
    })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_chain')
  })
})

describe('delivery refuses malformed and oversized bodies before doing any work', () => {
  it('an oversized placeholder → 413 payload_too_large', { timeout: 30_000 }, async () => {
    const { key } = await heldDelivery(network)
    const res = await postDelivery(network, 'example.net', {
      key,
      token: 'a.b.c',
      body: Buffer.alloc(200 * 1024, 0x20),
    })
    expect(res.status).toBe(413)
    expect(res.body.error).toBe('payload_too_large')
    expect(res.body.error_description).toMatch(/limit/)
  })

  it('malformed JSON → 400 invalid_request', async () => {
    const { key, placeholder } = await heldDelivery(network)
    const res = await postDelivery(network, 'example.net', {
      key,
      placeholder,
      body: '{"placeholder": {"envelope": [',
    })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ error: 'invalid_request' })
    expect(res.body.error_description).toMatch(/JSON/)
  })

  it('malformed YAML, and YAML with aliases → 400 invalid_request', async () => {
    const { key, placeholder } = await heldDelivery(network)
    const bad = await postDelivery(network, 'example.net', {
      key,
      placeholder,
      contentType: 'application/yaml',
      body: 'recipients: [bob@example.net\nplaceholder: {',
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toBe('invalid_request')
    expect(bad.body.error_description).toMatch(/YAML/)
    const bomb = await postDelivery(network, 'example.net', {
      key,
      placeholder,
      contentType: 'application/yaml',
      body: 'a: &a [x, x]\nb: [*a, *a]\nrecipients: [bob@example.net]\n',
    })
    expect(bomb.status).toBe(400)
    expect(bomb.body.error_description).toMatch(/(anchor|alias)/i)
    const tagged = await postDelivery(network, 'example.net', {
      key,
      placeholder,
      contentType: 'application/yaml',
      body: 'recipients: !custom [bob@example.net]\nplaceholder: {}\n',
    })
    expect(tagged.status).toBe(400)
    expect(tagged.body.error_description).toMatch(/tag/i)
  })

  it('a placeholder that does not match the model → 400 invalid_request', async () => {
    const { key, placeholder } = await heldDelivery(network)
    const res = await postDelivery(network, 'example.net', {
      key,
      placeholder: { envelope: 'nope', parts: [] },
      token: (placeholder.envelope[0] as { 'jwt-assertion': string })['jwt-assertion'],
    })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
  })

  it('a YAML delivery in the layout of docs/protocol.md §1.2 is accepted, every scalar a string', {
    timeout: 30_000,
  }, async () => {
    const { key, placeholder, sent } = await heldDelivery(network, ['bob@example.net'], '12')
    const rendered = serializeMessageYaml(placeholder)
    // The writer quotes "12"; a peer's writer need not: unquoted, it is still the text "12".
    expect(rendered).toContain('- Subject: "12"')
    const layout = rendered.replace('- Subject: "12"', '- Subject: 12')
    const body = `recipients:\n  - bob@example.net\nplaceholder:\n${layout.replace(/^/gm, '  ')}`
    const res = await postDelivery(network, 'example.net', {
      key,
      placeholder,
      contentType: 'application/yaml',
      body,
    })
    expect(res.status).toBe(202)
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toMatchObject({
      inbound: 1,
      messages: 1,
    })
    const stored = await db(network, 'example.net')
      .selectFrom('messages')
      .select('placeholder')
      .where('message_id_header', '=', sent.messageIdHeader)
      .where('account', '=', 'bob@example.net')
      .executeTakeFirstOrThrow()
    expect(readMessage(JSON.parse(stored.placeholder)).subject).toBe('12')
  })

  it("YAML in another layout (the JSON model's [name, value] pairs) → 400 invalid_request, nothing stored", {
    timeout: 30_000,
  }, async () => {
    const { stringify } = await import('yaml')
    const { key, placeholder, sent } = await heldDelivery(network)
    const res = await postDelivery(network, 'example.net', {
      key,
      placeholder,
      contentType: 'application/yaml',
      body: stringify({ recipients: ['bob@example.net'], placeholder }),
    })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(res.body.error_description).toMatch(/single "Name: value" mapping/)
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toMatchObject({
      inbound: 0,
      messages: 0,
    })
  })

  it('recipients: unknown users are rejected per recipient; all unknown → 422, foreign → 400', {
    timeout: 30_000,
  }, async () => {
    const { key, placeholder, sent } = await heldDelivery(network)
    const none = await postDelivery(network, 'example.net', {
      key,
      placeholder,
      recipients: ['nobody@example.net'],
    })
    expect(none.status).toBe(422)
    expect(none.body.error).toBe('unknown_recipient')
    const foreign = await postDelivery(network, 'example.net', {
      key,
      placeholder,
      recipients: ['bobby@example.org'],
    })
    expect(foreign.status).toBe(400)
    expect(foreign.body.error).toBe('foreign_recipient')
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toEqual(NOTHING)
    const mixed = await postDelivery(network, 'example.net', {
      key,
      placeholder,
      recipients: ['bob@example.net', 'nobody@example.net'],
    })
    expect(mixed.status).toBe(202)
    expect(mixed.body.results).toEqual([
      { recipient: 'bob@example.net', status: 'accepted' },
      expect.objectContaining({
        recipient: 'nobody@example.net',
        status: 'rejected',
        error: 'unknown_recipient',
      }),
    ])
  })

  it('alg none: an empty signature is a malformed body (400 invalid_request), a filled one 401 invalid_token', {
    timeout: 30_000,
  }, async () => {
    const { placeholder, key, sent } = await heldDelivery(network)
    const genuine = (placeholder.envelope[0] as { 'jwt-assertion': string })['jwt-assertion']
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const unsigned = `${b64({ alg: 'none', typ: 'fz-hop+jwt', kid: 'k' })}.${genuine.split('.')[1]}`
    const withToken = (token: string) => {
      const m = clone(placeholder)
      m.envelope[0] = { 'jwt-assertion': token }
      return m
    }
    const empty = await postDelivery(network, 'example.net', { placeholder: withToken(`${unsigned}.`), key })
    expect(empty.status).toBe(400)
    expect(empty.body.error).toBe('invalid_request')
    const filled = await postDelivery(network, 'example.net', {
      placeholder: withToken(`${unsigned}.${b64('x')}`),
      key,
    })
    expect(filled.status).toBe(401)
    expect(filled.body.error).toBe('invalid_token')
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toEqual(NOTHING)
  })

  it('a Bearer token or a missing proof → 401', async () => {
    const { placeholder } = await heldDelivery(network)
    const url = `${network.node('example.net').gatewayUrl}/federizer/deliveries`
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: 'Bearer abc', 'content-type': 'application/json' },
      body: JSON.stringify({ placeholder, recipients: ['bob@example.net'] }),
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^DPoP/)
    expect(((await res.json()) as { error: string }).error).toBe('invalid_token')
  })
})
