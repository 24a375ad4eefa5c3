import { readFile, writeFile } from 'node:fs/promises'
import type { Network } from '@federizer/devnet'
import { sendMail } from '@federizer/devnet'
import {
  createDpopKey,
  createDpopProof,
  digest,
  exchangeToken,
  jwkThumbprint,
  lastAssertion,
  listResources,
  type PlaceholderMessage,
  pushReceipt,
  signFetchToken,
} from '@federizer/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { heldDelivery, postDelivery, type RowKey, twoHopChain } from './federation-bad-input-helpers.ts'
import { db, messagesIn, openNetwork, testBytes, threeDomains, waitFor } from './federation-helpers.ts'

let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network

beforeAll(async () => {
  net = await openNetwork({ domains: threeDomains(), undoSendSeconds: 3600 })
  network = net.network
}, 60_000)
afterAll(async () => {
  await net?.close()
})

const now = () => Math.floor(Date.now() / 1000)

async function postFetch(input: {
  envelope: unknown
  contentId: string
  token: string
  key: RowKey
  url?: string
}) {
  const url = input.url ?? `${network.node('example.com').gatewayUrl}/federizer/fetch`
  const proof = await createDpopProof({
    key: input.key,
    htm: 'POST',
    htu: url,
    accessToken: input.token,
    now: now(),
  })
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `DPoP ${input.token}`, dpop: proof, 'content-type': 'application/json' },
    body: JSON.stringify({ envelope: input.envelope, content_id: input.contentId }),
  })
  const bytes = Buffer.from(await res.arrayBuffer())
  let body: { error?: string; error_description?: string } = {}
  try {
    body = JSON.parse(bytes.toString())
  } catch {
    // the resource bytes
  }
  return { status: res.status, body, bytes, headers: res.headers }
}

/** Delivers a held Alice → Bob message to example.net directly and returns Bob's stored copy. */
async function deliveredToBob() {
  const held = await heldDelivery(network)
  const res = await postDelivery(network, 'example.net', { placeholder: held.placeholder, key: held.key })
  expect(res.status).toBe(202)
  const row = await db(network, 'example.net')
    .selectFrom('messages')
    .select(['id', 'placeholder'])
    .where('account', '=', 'bob@example.net')
    .where('message_id_header', '=', held.sent.messageIdHeader)
    .executeTakeFirstOrThrow()
  return { held, copy: JSON.parse(row.placeholder) as PlaceholderMessage }
}

/** A genuine fetch token from example.net's own AS (mode 3). */
async function netFetchToken(copy: PlaceholderMessage, messageId: string) {
  const ctx = network.node('example.net').gateway!.ctx
  const key = await createDpopKey()
  const { token } = await exchangeToken({
    tokenEndpoint: ctx.federation.urls.tokenEndpoint,
    issuer: ctx.config.gatewayUrl,
    clientId: ctx.config.mtaClientId,
    clientKey: ctx.federation.keys.mtaClientKey,
    dpopKey: key,
    subjectToken: lastAssertion(copy)!,
    subjectTokenType: 'jwt',
    requestedTokenType: 'access_token',
    audience: network.node('example.com').gatewayUrl,
    messageId,
    fetch,
    now: now(),
  })
  return { token, key: { privateJwk: key.privateJwk, publicJwk: key.publicJwk } }
}

/** A fetch token signed by example.org's AS key, as a rogue or mistaken AS would issue it. */
async function orgFetchToken(messageId: string, audience = network.node('example.com').gatewayUrl) {
  const org = network.node('example.org').gateway!.ctx
  const key = await createDpopKey()
  const token = await signFetchToken(
    {
      iss: org.as.issuer,
      azp: org.config.mtaClientId,
      aud: audience,
      message_id: messageId,
      cnf: { jkt: await jwkThumbprint(key.publicJwk) },
      iat: now(),
      exp: now() + 600,
      jti: `org-${Math.random()}`,
    },
    await org.as.signingKey(),
  )
  return { token, key: { privateJwk: key.privateJwk, publicJwk: key.publicJwk } }
}

describe('fetch at the origin enforces the ACL', () => {
  it('serves a referenced resource to a recipient domain (the positive control)', {
    timeout: 30_000,
  }, async () => {
    const { held, copy } = await deliveredToBob()
    const { token, key } = await netFetchToken(copy, held.sent.messageIdHeader)
    const text = listResources(copy)[0]!
    const res = await postFetch({ envelope: copy.envelope, contentId: text.contentId, token, key })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(digest(res.bytes)).toBe(text.contentId)
  })

  it('a Content-ID not referenced by the message → 403 access_denied', { timeout: 30_000 }, async () => {
    const { held, copy } = await deliveredToBob()
    // A resource that exists at the origin, but belongs to another message.
    const other = await deliveredToBob()
    const foreign = listResources(other.copy)[0]!.contentId
    const { token, key } = await netFetchToken(copy, held.sent.messageIdHeader)
    const res = await postFetch({ envelope: copy.envelope, contentId: foreign, token, key })
    expect(res.status).toBe(403)
    expect(res.body.error).toBe('access_denied')
    expect(res.body.error_description).toMatch(/not referenced/)
  })

  it('a domain that is not a recipient → 403 access_denied, even with a validly signed token', {
    timeout: 30_000,
  }, async () => {
    const { held, copy } = await deliveredToBob()
    const { token, key } = await orgFetchToken(held.sent.messageIdHeader)
    const res = await postFetch({
      envelope: copy.envelope,
      contentId: listResources(copy)[0]!.contentId,
      token,
      key,
    })
    // The fetching domain is the one whose receipt tops the envelope (example.net), and its AS did not
    // issue this token (issue 12, low: not "the first recipient domain with a matching issuer").
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_token')
    expect(res.body.error_description).toMatch(/not issued by the authorization server of example\.net/)
    // And the non-recipient's own AS refuses to issue a fetch token at all.
    const org = network.node('example.org').gateway!.ctx
    const dpop = await createDpopKey()
    await expect(
      exchangeToken({
        tokenEndpoint: org.federation.urls.tokenEndpoint,
        issuer: org.config.gatewayUrl,
        clientId: org.config.mtaClientId,
        clientKey: org.federation.keys.mtaClientKey,
        dpopKey: dpop,
        subjectToken: lastAssertion(copy)!,
        subjectTokenType: 'jwt',
        requestedTokenType: 'access_token',
        audience: network.node('example.com').gatewayUrl,
        messageId: held.sent.messageIdHeader,
        fetch,
        now: now(),
      }),
    ).rejects.toThrow()
  })

  it('a valid forwarding hop lets the Forwarded-To domain fetch; a forged Forwarded-To does not', {
    timeout: 30_000,
  }, async () => {
    const { held, forwarded } = await twoHopChain(network)
    const contentId = listResources(forwarded)[0]!.contentId
    const ok = await orgFetchToken(held.sent.messageIdHeader)
    const allowed = await postFetch({ envelope: receivedByOrg(forwarded).envelope, contentId, ...ok })
    expect(allowed.status).toBe(200)
    expect(digest(allowed.bytes)).toBe(contentId)

    const forged = JSON.parse(JSON.stringify(forwarded)) as PlaceholderMessage
    const block = forged.envelope[1] as { headers: [string, string][] }
    block.headers.find(([n]) => n === 'Forwarded-To')![1] = 'mallory@example.org'
    const again = await orgFetchToken(held.sent.messageIdHeader)
    const refused = await postFetch({ envelope: receivedByOrg(forged).envelope, contentId, ...again })
    expect(refused.status).toBe(400)
    expect(refused.body.error).toBe('invalid_chain')
  })

  it('a token for another audience, or a proof by another key → 401', { timeout: 30_000 }, async () => {
    const { held, copy } = await deliveredToBob()
    const contentId = listResources(copy)[0]!.contentId
    const { token } = await netFetchToken(copy, held.sent.messageIdHeader)
    const stranger = await createDpopKey()
    const wrongKey = await postFetch({ envelope: copy.envelope, contentId, token, key: stranger })
    expect(wrongKey.status).toBe(401)
    expect(wrongKey.body.error).toBe('invalid_dpop_proof')
    const twoHop = await twoHopChain(network)
    const aud = await postFetch({
      envelope: receivedByOrg(twoHop.forwarded).envelope,
      contentId: listResources(twoHop.forwarded)[0]!.contentId,
      ...(await orgFetchToken(twoHop.held.sent.messageIdHeader, 'http://localhost:1/elsewhere')),
    })
    expect(aud.status).toBe(401)
    expect(aud.body.error).toBe('invalid_token')
    expect(aud.body.error_description).toMatch(/audience/)
  })
})

/** The forwarded message as example.org's mailbox stores it: its receipt on top (what its MTA presents). */
function receivedByOrg(m: PlaceholderMessage): PlaceholderMessage {
  return pushReceipt(m, { fromDomain: 'example.net', byDomain: 'example.org', date: new Date() })
}

describe('the fetcher keeps only bytes that match the Content-ID', () => {
  it('refuses corrupted bytes, keeps the message "arriving", and completes once the origin serves the right bytes', {
    timeout: 60_000,
  }, async () => {
    const image = testBytes(300_000, 21)
    const origin = network.node('example.com').gateway!.ctx.federation.resources
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      subject: 'Corrupted at the origin',
      attachments: [{ filename: 'x.bin', mediaType: 'application/octet-stream', bytes: image }],
    })
    const file = origin.path(digest(image))
    const good = await readFile(file)
    await writeFile(file, testBytes(300_000, 22))
    // Release the held delivery now.
    await db(network, 'example.com')
      .updateTable('outbox')
      .set({ next_attempt_at: 0 })
      .where('message_row_id', '=', sent.rowId)
      .execute()
    const netDb = db(network, 'example.net')
    const job = await waitFor(async () => {
      const j = await netDb
        .selectFrom('fetch_jobs')
        .selectAll()
        .where('content_id', '=', digest(image))
        .executeTakeFirst()
      return j?.last_error ? j : undefined
    }, 'a failed fetch attempt')
    expect(job.last_error).toMatch(/not kept/)
    expect(job.state).toBe('queued')
    const resourcesNet = network.node('example.net').gateway!.ctx.federation.resources
    expect(await resourcesNet.has(digest(image))).toBe(false)
    const [copy] = (await messagesIn(netDb, 'bob@example.net', 'inbox')).filter(
      (r) => r.message_id_header === sent.messageIdHeader,
    )
    expect(copy?.content_state).toBe('arriving')

    await writeFile(file, good)
    await waitFor(async () => {
      const [row] = (await messagesIn(netDb, 'bob@example.net', 'inbox')).filter(
        (r) => r.message_id_header === sent.messageIdHeader,
      )
      return row?.content_state === 'complete'
    }, 'the retried fetch to complete')
    expect((await readFile(resourcesNet.path(digest(image)))).equals(image)).toBe(true)
  })
})

describe('a resource the origin no longer holds', () => {
  it('turns the copy "unavailable" with the origin\'s reason, without retrying forever', {
    timeout: 60_000,
  }, async () => {
    const bytes = testBytes(50_000, 31)
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      subject: 'Gone at the origin',
      attachments: [{ filename: 'gone.bin', mediaType: 'application/octet-stream', bytes }],
    })
    await network.node('example.com').gateway!.ctx.federation.resources.remove(digest(bytes))
    await db(network, 'example.com')
      .updateTable('outbox')
      .set({ next_attempt_at: 0 })
      .where('message_row_id', '=', sent.rowId)
      .execute()
    const netDb = db(network, 'example.net')
    const copy = await waitFor(async () => {
      const [row] = (await messagesIn(netDb, 'bob@example.net', 'inbox')).filter(
        (r) => r.message_id_header === sent.messageIdHeader,
      )
      return row?.content_state === 'unavailable' ? row : undefined
    }, 'the copy to become unavailable')
    expect(copy.content_reason).toMatch(/example\.com refused the fetch \(not_found\): HTTP 404 \(refused\)/)
    const job = await netDb
      .selectFrom('fetch_jobs')
      .selectAll()
      .where('content_id', '=', digest(bytes))
      .executeTakeFirstOrThrow()
    expect([job.state, job.attempts]).toEqual(['failed', 1])
  })
})

describe('the fetch queue lifetime', () => {
  it('ends with the copy "unavailable" and the last error as the reason', { timeout: 60_000 }, async () => {
    const bytes = testBytes(40_000, 41)
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      subject: 'Never served right',
      attachments: [{ filename: 'bad.bin', mediaType: 'application/octet-stream', bytes }],
    })
    const file = network.node('example.com').gateway!.ctx.federation.resources.path(digest(bytes))
    await writeFile(file, testBytes(40_000, 42))
    await db(network, 'example.com')
      .updateTable('outbox')
      .set({ next_attempt_at: 0 })
      .where('message_row_id', '=', sent.rowId)
      .execute()
    const netDb = db(network, 'example.net')
    await waitFor(async () => {
      const j = await netDb
        .selectFrom('fetch_jobs')
        .selectAll()
        .where('content_id', '=', digest(bytes))
        .executeTakeFirst()
      return j?.last_error ? j : undefined
    }, 'a first failed attempt')
    // Five (scaled) days later:
    await netDb
      .updateTable('fetch_jobs')
      .set({ expires_at: 0, next_attempt_at: 0 })
      .where('content_id', '=', digest(bytes))
      .execute()
    const copy = await waitFor(async () => {
      const [row] = (await messagesIn(netDb, 'bob@example.net', 'inbox')).filter(
        (r) => r.message_id_header === sent.messageIdHeader,
      )
      return row?.content_state === 'unavailable' ? row : undefined
    }, 'the copy to become unavailable')
    expect(copy.content_reason).toMatch(
      /^gave up after the queue lifetime; last error: the bytes served by example\.com were not kept/,
    )
    expect(await network.node('example.net').gateway!.ctx.federation.resources.has(digest(bytes))).toBe(false)
  })
})
