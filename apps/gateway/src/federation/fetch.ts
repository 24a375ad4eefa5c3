import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  digest,
  domainOf,
  getStringHeader,
  isDigest,
  isHeadersBlock,
  isProtocolError,
  listResources,
  matchesRecipientsDigest,
  originalHeaders,
  type PlaceholderMessage,
  parseAddress,
  parseAddressList,
  parseMessageJson,
  parseReceived,
  readMessage,
  verifyDpopProof,
  verifyFetchToken,
} from '@federizer/protocol'
import { type SentDelivery, sentDeliveriesOf } from '@federizer/store'
import { decodeJwt } from 'jose'
import type { GatewayContext } from '../context.ts'
import { readDpopCredentials } from './auth-header.ts'
import { bodyFormat, decodeBody, readLimitedBody } from './body.ts'
import { chainFailure, DISCOVERY_BUDGET_MS, verifyEnvelopeChain, withinBudget } from './chain.ts'
import { cannotVerify, FederationError, fromProtocolError } from './errors.ts'

/** What the origin knows about a message it sent: the delivered copy and the recipient domains. */
interface SentRecord {
  delivered: PlaceholderMessage
  /** The sender's own copy (with Bcc): the only place the full recipient list is known. */
  sent: PlaceholderMessage
  recipientDomains: Set<string>
}

/**
 * The message this domain sent with `messageId`, as delivered in the outbox row whose origin assertion is
 * the one the presented chain carries (each destination gets its own assertion); the recipient domains
 * are every row's. Only rows whose From is this domain count: a forwarder's outbox rows carry the same
 * Message-ID but not our resources.
 */
async function findSent(
  ctx: GatewayContext,
  messageId: string,
  originAssertion: string | undefined,
): Promise<SentRecord | undefined> {
  const own = ctx.config.domain.toLowerCase()
  let record: SentDelivery | undefined
  const recipientDomains = new Set<string>()
  for (const row of await sentDeliveriesOf(ctx.db, messageId)) {
    if (domainOf(readMessage(row.delivered).from.address) !== own) continue
    recipientDomains.add(row.recipientDomain.toLowerCase())
    if (!record && originAssertion !== undefined && oldestAssertion(row.delivered) === originAssertion)
      record = row
  }
  return record && { delivered: record.delivered, sent: record.sent(), recipientDomains }
}

const header = (m: PlaceholderMessage, name: string) => getStringHeader(originalHeaders(m), name)

/** The origin hop's assertion: the oldest jwt-assertion block of an envelope (newest block first). */
function oldestAssertion(m: { envelope: unknown[] }): string | undefined {
  for (let i = m.envelope.length - 1; i >= 0; i--) {
    const b = m.envelope[i]
    if (b && typeof b === 'object' && typeof (b as Record<string, unknown>)['jwt-assertion'] === 'string')
      return (b as Record<string, string>)['jwt-assertion']
  }
  return undefined
}

/**
 * The fetching domain D the presented envelope names: the `by` domain of its newest block, the receipt
 * D's mailbox pushed when it accepted the delivery (docs/protocol.md §6). Read from the raw body, before
 * anything is verified or looked up.
 */
function fetchingDomainOf(envelope: unknown[]): string {
  const top = envelope[0] as { headers?: unknown } | undefined
  const headers = top && typeof top === 'object' && Array.isArray(top.headers) ? top.headers : []
  const received = headers.find(
    (h): h is [string, string] =>
      Array.isArray(h) &&
      typeof h[0] === 'string' &&
      h[0].toLowerCase() === 'received' &&
      typeof h[1] === 'string',
  )
  const by = received ? parseReceived(received[1])?.by : undefined
  if (!by)
    throw new FederationError(
      'invalid_request',
      "the envelope's newest block must be the fetching mailbox's receipt (Received: from … by <its domain>)",
    )
  return by.toLowerCase()
}

/**
 * `POST /federizer/fetch` at the origin mailbox. Order matters (issue 12 item 6): the DPoP proof, then the
 * fetch token — issued by the AS of the fetching domain D that the presented receipt names (one discovery,
 * bounded), DPoP-bound, aud = this resource URL, azp = D's MTA — and only then anything that depends on
 * the message: whether it was sent from here, the presented chain (its sender domains discovered), and
 * the ACL of docs/protocol.md §6 Fetch. Until the token verifies, every answer is the same whatever the
 * Message-ID (no oracle of what was sent from here). The bytes are streamed (never buffered, never cached).
 * @see docs/protocol.md §6 (Fetch ACL); RFC 9449 §7.1; RFC 6750 §3.1
 */
export async function handleFetch(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const format = bodyFormat(req.headers['content-type'])
  const raw = await readLimitedBody(req, ctx.config.limits.maxPlaceholderBytes + 4096)
  const { token, proof } = readDpopCredentials(req)
  const body = decodeBody(raw, format, 'fetch') as { envelope?: unknown; content_id?: unknown } | null
  if (
    typeof body !== 'object' ||
    body === null ||
    !Array.isArray(body.envelope) ||
    typeof body.content_id !== 'string'
  ) {
    throw new FederationError(
      'invalid_request',
      'the body must be { envelope: [...blocks], content_id: "<digest>" }',
    )
  }
  const contentId = body.content_id.replace(/^<|>$/g, '')
  if (!isDigest(contentId)) {
    throw new FederationError(
      'invalid_request',
      `content_id "${String(contentId).slice(0, 60)}" is not a Content-ID (43 base64url characters)`,
    )
  }
  const now = ctx.now()
  let proofKey: string
  try {
    proofKey = (
      await verifyDpopProof(proof, {
        htm: 'POST',
        htu: ctx.federation.urls.fetchEndpoint,
        now,
        replay: ctx.federation.replay,
        accessToken: token,
      })
    ).jkt
  } catch (e) {
    throw fromProtocolError(e, 'DPoP proof')
  }
  let unverified: { iss?: unknown }
  try {
    unverified = decodeJwt(token)
  } catch {
    throw new FederationError('invalid_token', 'the fetch token is not a JWT')
  }
  if (typeof unverified.iss !== 'string')
    throw new FederationError('invalid_token', 'the fetch token lacks iss')
  const fetcher = fetchingDomainOf(body.envelope)
  const as = await withinBudget(ctx.discovery.authorizationServer(fetcher), DISCOVERY_BUDGET_MS).catch(
    (e: unknown) => {
      if (isProtocolError(e) && e.code === 'discovery_failed')
        throw cannotVerify(`the fetch token of ${fetcher}`, e)
      throw new FederationError('invalid_token', `the authorization server of ${fetcher} is not acceptable`, {
        cause: e,
      })
    },
  )
  if (as.issuer !== unverified.iss) {
    throw new FederationError(
      'invalid_token',
      `the fetch token was not issued by the authorization server of ${fetcher}, the domain whose receipt tops the envelope`,
    )
  }
  let claims: Awaited<ReturnType<typeof verifyFetchToken>>['claims']
  try {
    ;({ claims } = await verifyFetchToken(token, {
      resolveKey: ctx.discovery.keyResolverFor(as.issuer),
      now,
      issuer: as.issuer,
      audience: ctx.federation.urls.resourceUrl,
    }))
  } catch (e) {
    throw fromProtocolError(e, 'fetch token')
  }
  const peer = await ctx.discovery.mailbox(fetcher).catch((e: unknown) => {
    throw fromProtocolError(e, `the mailbox of ${fetcher}`)
  })
  if (claims.azp !== peer.mta_client_id) {
    throw new FederationError(
      'invalid_token',
      `azp ${claims.azp} is not ${peer.mta_client_id}, the MTA of ${fetcher}`,
    )
  }
  if (claims.cnf.jkt !== proofKey) {
    throw new FederationError(
      'invalid_dpop_proof',
      'the DPoP proof key is not the key the fetch token is bound to',
    )
  }

  // Authenticated as D's MTA: now the message may be looked up.
  const messageId = claims.message_id
  const sent = await findSent(ctx, messageId, oldestAssertion({ envelope: body.envelope }))
  if (!sent)
    throw new FederationError(
      'not_found',
      `no message ${messageId.slice(0, 200)} was sent from ${ctx.config.domain} with the presented origin assertion`,
    )
  let presented: PlaceholderMessage
  try {
    presented = parseMessageJson({ envelope: body.envelope, parts: sent.delivered.parts })
  } catch (e) {
    throw fromProtocolError(e, 'envelope')
  }

  // The presented chain must verify, and its original block must be the message we sent.
  await verifyPresentedChain(ctx, presented)
  for (const name of ['Message-ID', 'Body-Digest', 'Recipients-Digest', 'From']) {
    if (header(presented, name) !== header(sent.delivered, name)) {
      throw new FederationError(
        'access_denied',
        `the presented envelope's ${name} is not the one of the message sent`,
      )
    }
  }
  // Keyed with the Recipients-Key only our own copy holds (docs/protocol.md §2): nobody else can test it.
  if (!matchesRecipientsDigest(sent.sent, header(presented, 'Recipients-Digest') ?? '')) {
    throw new FederationError(
      'access_denied',
      'the Recipients-Digest does not match the recipients of the message sent',
    )
  }

  // ACL: a recipient domain, or the Forwarded-To domain of a forwarding hop whose Forwarded-From was allowed.
  const allowed = new Set(sent.recipientDomains)
  for (const hop of forwardingHops(presented)) {
    if (allowed.has(hop.fromDomain)) for (const d of hop.to) allowed.add(d)
  }
  if (!allowed.has(fetcher)) {
    throw new FederationError(
      'access_denied',
      `${fetcher} is not a recipient of ${messageId} by any valid forwarding path`,
    )
  }
  if (!listResources(sent.delivered).some((r) => r.contentId === contentId)) {
    throw new FederationError(
      'access_denied',
      `Content-ID ${contentId} is not referenced by message ${messageId}`,
    )
  }
  const stat = await ctx.federation.resources.stat(contentId)
  if (!stat)
    throw new FederationError(
      'not_found',
      `the resource ${contentId} is no longer held by ${ctx.config.domain}`,
    )

  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(stat.size),
    'cache-control': 'no-store',
    'repr-digest': `sha-256=:${Buffer.from(contentId, 'base64url').toString('base64')}:`,
  })
  await ctx.federation.resources.sendTo(contentId, res)
  res.end()
}

/** Chains that verified recently (by digest of the presented message): the fetches of one message's parts share one check. */
const verifiedChains = new WeakMap<GatewayContext, Map<string, number>>()
const VERIFIED_CHAIN_SECONDS = 60

async function verifyPresentedChain(ctx: GatewayContext, presented: PlaceholderMessage): Promise<void> {
  let cache = verifiedChains.get(ctx)
  if (!cache) {
    cache = new Map()
    verifiedChains.set(ctx, cache)
  }
  const key = digest(JSON.stringify(presented))
  const now = ctx.now()
  if ((cache.get(key) ?? 0) > now) return
  const verification = await verifyEnvelopeChain(ctx, presented, { lastHopMustBeFresh: false }).catch((e) => {
    throw fromProtocolError(e, 'envelope chain')
  })
  if (!verification.ok) throw chainFailure(verification)
  if (cache.size >= 10_000) {
    for (const [k, until] of cache) if (until <= now || cache.size >= 10_000) cache.delete(k)
  }
  cache.set(key, now + VERIFIED_CHAIN_SECONDS)
}

/** Forwarding hops of a chain, oldest first: the Forwarded-From domain and the Forwarded-To domains. */
function forwardingHops(m: PlaceholderMessage): Array<{ fromDomain: string; to: string[] }> {
  const hops: Array<{ fromDomain: string; to: string[] }> = []
  for (const block of [...m.envelope].reverse()) {
    if (!isHeadersBlock(block)) continue
    const from = getStringHeader(block.headers, 'Forwarded-From')
    const to = getStringHeader(block.headers, 'Forwarded-To')
    if (!from || !to) continue
    hops.push({
      fromDomain: domainOf(parseAddress(from).address),
      to: parseAddressList(to).map((a) => domainOf(a.address)),
    })
  }
  return hops
}
