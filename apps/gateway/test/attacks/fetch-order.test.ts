/**
 * Issue 12 item 6 and the fetch low items (reproductions), against the origin example.com:
 * - one unsigned fetch request listing hundreds of Forwarded-To domains made the origin discover every one
 *   of them before it checked the token (~1,950 lookups for 21 KB): now nothing is discovered but the
 *   fetching domain, and only then is the token checked;
 * - before any signature check, 403 for a Message-ID sent from here and 404 for one that was not: now the
 *   same answer;
 * - the fetching domain was the first recipient domain with a matching issuer: now it is the domain whose
 *   receipt tops the presented envelope, and its AS must have issued the token.
 * Each refusal: status, clear body, nothing stored at the origin, good mail still flows.
 */
import { randomUUID } from 'node:crypto'
import { sendMail } from '@federizer/devnet'
import { jwkThumbprint, type PlaceholderMessage, randomJti, signFetchToken } from '@federizer/protocol'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { db, waitFor } from '../federation-helpers.ts'
import {
  ALICE,
  ATTACKER,
  type AttackNet,
  BOB,
  type DpopKey,
  expectGoodMail,
  expectNothingStored,
  expectRefused,
  HONEST,
  MALLORY,
  newKey,
  openAttackNetwork,
  proofFor,
  type Reply,
  request,
  type Snapshot,
  settle,
  snapshot,
  VICTIM,
} from './harness.ts'

let net: AttackNet
let before: Snapshot
let origin: string
/** Alice's message to Bob and Mallory (an attachment each fetched), as stored by each recipient. */
let sent: { messageId: string; contentId: string; bobEnvelope: unknown[]; malloryEnvelope: unknown[] }

async function storedEnvelope(domain: string, account: string, messageId: string): Promise<unknown[]> {
  const row = await waitFor(
    () =>
      db(net.network, domain)
        .selectFrom('messages')
        .select(['placeholder', 'content_state'])
        .where('account', '=', account)
        .where('message_id_header', '=', messageId)
        .where('content_state', '=', 'complete')
        .executeTakeFirst(),
    `${account}'s copy`,
  )
  return (JSON.parse(row.placeholder) as PlaceholderMessage).envelope
}

beforeAll(async () => {
  net = await openAttackNetwork()
  origin = `${net.node(HONEST).gatewayUrl}/federizer/fetch`
  const mail = await sendMail(net.node(HONEST), {
    from: ALICE,
    to: [BOB, MALLORY],
    subject: 'Report',
    text: 'see the attachment',
    attachments: [
      { filename: 'report.txt', mediaType: 'text/plain', bytes: Buffer.from(`secret ${randomUUID()}`) },
    ],
  })
  const messageId = mail.messageIdHeader
  sent = {
    messageId,
    contentId: mail.attachments[0]?.contentId as string,
    bobEnvelope: await storedEnvelope(VICTIM, BOB, messageId),
    malloryEnvelope: await storedEnvelope(ATTACKER, MALLORY, messageId),
  }
  await settle(net.network, VICTIM)
}, 120_000)
afterAll(async () => {
  await net?.close()
})
beforeEach(async () => {
  before = await snapshot(net.network, HONEST)
})
afterEach(async (c) => {
  if (c.task.result?.state === 'fail') return
  await expectNothingStored(net.network, HONEST, before)
})

/** A compact JWT with the given claims and no valid signature: what anyone can make. */
function unsignedToken(claims: Record<string, unknown>): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url')
  return `${part({ typ: 'fz-fetch+jwt', alg: 'ES256', kid: 'k' })}.${part(claims)}.${Buffer.from('sig').toString('base64url')}`
}

async function fetchAt(
  envelope: unknown[],
  token: string,
  key: DpopKey,
  contentId = sent.contentId,
): Promise<Reply> {
  return request(origin, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `DPoP ${token}`,
      dpop: await proofFor(key, 'POST', origin, token),
    },
    body: JSON.stringify({ envelope, content_id: contentId }),
  })
}

/** Forged forwarding blocks naming `blocks` × 100 fresh Forwarded-To domains, on top of Mallory's genuine envelope. */
function manyForwards(blocks: number): unknown[] {
  const date = new Date().toUTCString().replace('GMT', '+0000')
  const forged = Array.from({ length: blocks }, () => ({
    headers: [
      ['Message-ID', sent.messageId],
      ['Forwarded-From', MALLORY],
      [
        'Forwarded-To',
        Array.from({ length: 100 }, (_, i) => `u@d${i}-${randomUUID().slice(0, 8)}.example`).join(', '),
      ],
      ['Received', `from ${ATTACKER} by ${ATTACKER}; ${date}`],
    ],
  }))
  return [...forged, ...sent.malloryEnvelope]
}

describe('the fetch endpoint before the token is verified', () => {
  it('an unsigned token with 400 Forwarded-To domains → 401, and no domain is looked up', async () => {
    const key = await newKey()
    // An issuer no domain has: the old code tried every listed domain in turn to find one.
    const token = unsignedToken({ iss: 'https://as.nowhere.example', message_id: sent.messageId })
    const queries = net.network.dns.queryCount()
    const started = Date.now()
    const reply = await fetchAt(manyForwards(4), token, key)
    expectRefused(reply, 401, 'invalid_token')
    // At most the fetching domain's own records (cached from the delivery anyway): never the 400.
    expect(net.network.dns.queryCount() - queries).toBeLessThanOrEqual(2)
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('answers the same for a Message-ID sent from here and for one that was not (no oracle)', async () => {
    const key = await newKey()
    const answers = []
    for (const messageId of [sent.messageId, `<${randomUUID()}@example.com>`]) {
      const token = unsignedToken({ iss: net.attacker.issuer, message_id: messageId })
      const envelope = sent.malloryEnvelope.map((b, i) =>
        i === 0 ? JSON.parse(JSON.stringify(b).replaceAll(sent.messageId, messageId)) : b,
      )
      const reply = await fetchAt(envelope, token, key)
      expectRefused(reply, 401, 'invalid_token')
      answers.push(reply.json)
    }
    expect(answers[0]).toEqual(answers[1])
  })

  it('an envelope without the fetching mailbox receipt on top → 400', async () => {
    const reply = await fetchAt(sent.malloryEnvelope.slice(1), unsignedToken({ iss: 'x' }), await newKey())
    expectRefused(reply, 400, 'invalid_request')
    expect(reply.json?.error_description).toMatch(/receipt/)
  })
})

describe('the fetching domain is the one the receipt and the token name', () => {
  /** A genuine fetch token of the attacker's AS for Alice's message (the attacker owns its AS). */
  async function attackerFetchToken(key: DpopKey) {
    const ctx = net.attacker.node.gateway?.ctx
    if (!ctx) throw new Error('attacker node stopped')
    const now = Math.floor(Date.now() / 1000)
    return signFetchToken(
      {
        iss: net.attacker.issuer,
        azp: net.attacker.mtaClientId,
        aud: net.node(HONEST).gatewayUrl,
        message_id: sent.messageId,
        cnf: { jkt: await jwkThumbprint(key.publicJwk) },
        iat: now,
        exp: now + 300,
        jti: randomJti(),
      },
      await ctx.as.signingKey(),
    )
  }

  it("the attacker's token with Bob's envelope (receipt by example.net) → 401, nothing served", async () => {
    const key = await newKey()
    const reply = await fetchAt(sent.bobEnvelope, await attackerFetchToken(key), key)
    expectRefused(reply, 401, 'invalid_token')
    expect(reply.json?.error_description).toMatch(/example\.net/)
  })

  it("the attacker's token with its own envelope (it is a recipient) → 200, the bytes", async () => {
    const key = await newKey()
    const reply = await fetchAt(sent.malloryEnvelope, await attackerFetchToken(key), key)
    expect(reply.status, reply.text).toBe(200)
    expect(reply.text).toMatch(/^secret /)
  })
})

describe('afterwards', () => {
  it('good mail still flows', { timeout: 60_000 }, async () => {
    await expectGoodMail(net.network)
    await settle(net.network, VICTIM)
    before = await snapshot(net.network, HONEST)
  })
})
