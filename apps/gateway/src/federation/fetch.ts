import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import {
  digest,
  domainOf,
  getStringHeader,
  isDigest,
  isHeadersBlock,
  listResources,
  originalHeaders,
  type PlaceholderMessage,
  parseAddress,
  parseAddressList,
  parseMessageJson,
  readMessage,
  recipientsDigest,
  verifyDpopProof,
  verifyFetchToken,
} from '@federizer/protocol'
import { decodeJwt } from 'jose'
import type { GatewayContext } from '../context.ts'
import { readDpopCredentials } from './auth-header.ts'
import { bodyFormat, decodeBody, readLimitedBody } from './body.ts'
import { chainFailure, verifyEnvelopeChain } from './chain.ts'
import { FederationError, fromProtocolError } from './errors.ts'

/** What the origin knows about a message it sent: the delivered copy and the recipient domains. */
interface SentRecord {
  delivered: PlaceholderMessage
  /** The sender's own copy (with Bcc): the only place the full recipient list is known. */
  sent: PlaceholderMessage
  recipientDomains: Set<string>
}

async function findSent(ctx: GatewayContext, messageId: string): Promise<SentRecord | undefined> {
  const rows = await ctx.db
    .selectFrom('outbox')
    .innerJoin('messages', 'messages.id', 'outbox.message_row_id')
    .select(['outbox.recipient_domain', 'outbox.placeholder as delivered', 'messages.placeholder as sent'])
    .where('messages.message_id_header', '=', messageId)
    .where('outbox.state', '!=', 'cancelled')
    .execute()
  const own = ctx.config.domain.toLowerCase()
  let record: SentRecord | undefined
  for (const row of rows) {
    const delivered = JSON.parse(row.delivered) as PlaceholderMessage
    // Only the origin serves: a forwarder's outbox rows carry the same Message-ID but not our resources.
    if (domainOf(readMessage(delivered).from.address) !== own) continue
    record ??= { delivered, sent: JSON.parse(row.sent), recipientDomains: new Set() }
    record.recipientDomains.add(row.recipient_domain.toLowerCase())
  }
  return record
}

const header = (m: PlaceholderMessage, name: string) => getStringHeader(originalHeaders(m), name)

/**
 * `POST /federizer/fetch` at the origin mailbox: checks the fetch token (issued by the fetching domain's
 * own AS, DPoP-bound, aud = this resource URL), the presented envelope chain, and the ACL of docs/protocol.md §6
 * Fetch, then streams the resource bytes (never buffered, never cached).
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
  let unverified: { iss?: unknown; message_id?: unknown }
  try {
    unverified = decodeJwt(token)
  } catch {
    throw new FederationError('invalid_token', 'the fetch token is not a JWT')
  }
  if (typeof unverified.iss !== 'string' || typeof unverified.message_id !== 'string') {
    throw new FederationError('invalid_token', 'the fetch token lacks iss or message_id')
  }
  const messageId = unverified.message_id
  const sent = await findSent(ctx, messageId)
  if (!sent)
    throw new FederationError('not_found', `no message ${messageId} was sent from ${ctx.config.domain}`)

  let presented: PlaceholderMessage
  try {
    presented = parseMessageJson({ envelope: body.envelope, parts: sent.delivered.parts })
  } catch (e) {
    throw fromProtocolError(e, 'envelope')
  }
  // The fetching domain D: a recipient domain or a Forwarded-To domain whose discovered AS issued the token.
  const forwardedTo = forwardingHops(presented)
  const candidates = new Set([...sent.recipientDomains, ...forwardedTo.flatMap((h) => h.to)])
  let fetcher: string | undefined
  for (const domain of candidates) {
    const as = await ctx.discovery.authorizationServer(domain).catch(() => undefined)
    if (as?.issuer === unverified.iss) {
      fetcher = domain
      break
    }
  }
  if (!fetcher) {
    throw new FederationError(
      'access_denied',
      `the token issuer ${unverified.iss} is not the authorization server of any recipient domain of ${messageId}`,
    )
  }
  let claims: Awaited<ReturnType<typeof verifyFetchToken>>['claims']
  try {
    ;({ claims } = await verifyFetchToken(token, {
      resolveKey: ctx.discovery.keyResolverFor(unverified.iss),
      now,
      issuer: unverified.iss,
      audience: ctx.federation.urls.resourceUrl,
    }))
  } catch (e) {
    throw fromProtocolError(e, 'fetch token')
  }
  const peer = await ctx.discovery.mailbox(fetcher)
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
  const original = readMessage(sent.sent)
  const everyone = [...original.to, ...original.cc, ...original.bcc].map((a) => a.address)
  if (`<${recipientsDigest(everyone)}>` !== header(presented, 'Recipients-Digest')) {
    throw new FederationError(
      'access_denied',
      'the Recipients-Digest does not match the recipients of the message sent',
    )
  }

  // ACL: a recipient domain, or the Forwarded-To domain of a forwarding hop whose Forwarded-From was allowed.
  const allowed = new Set(sent.recipientDomains)
  for (const hop of forwardedTo) {
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
  await pipeline(ctx.federation.resources.createReadStream(contentId), res)
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
