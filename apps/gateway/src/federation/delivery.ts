import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import {
  type ChainVerification,
  domainOf,
  isAddrSpec,
  isProtocolError,
  jwtAssertionDigest,
  messageIdOf,
  type PlaceholderMessage,
  parseMessageJson,
  pushReceipt,
  type ReplayStore,
  verifyDpopProof,
  verifyPushed,
} from '@federizer/protocol'
import { type Db, dialectOf, findUser, SMALL_RESOURCE_MAX_BYTES, type SmallResource } from '@federizer/store'
import { decodeJwt } from 'jose'
import type { GatewayContext } from '../context.ts'
import { readDpopCredentials } from './auth-header.ts'
import { bodyFormat, decodeBody, readLimitedBody } from './body.ts'
import { chainFailure, verifyEnvelopeChain } from './chain.ts'
import { FederationError, fromProtocolError } from './errors.ts'
import { storeDelivery } from './inbound-store.ts'
import {
  chargePeer,
  checkMessageSize,
  countRefusedDelivery,
  hasRoom,
  messageBytes,
  refuseBlockedPeer,
} from './quotas.ts'

/** Bytes allowed beyond the placeholder limit for the `recipients` list and the wrapper object. */
const DELIVERY_WRAPPER_ALLOWANCE = 16 * 1024
const MAX_RECIPIENTS = 100

export interface DeliveryResult {
  recipient: string
  /** `deferred`: not stored now, retry later (e.g. `mailbox_full`); `rejected` is final. */
  status: 'accepted' | 'rejected' | 'deferred'
  error?: string
  error_description?: string
}

/** What the delivery endpoint answers: 202 when something new was stored, 200 for a pure repeat. */
export interface DeliveryResponse {
  status: 200 | 202
  body: { message_id: string; results: DeliveryResult[] }
}

/**
 * `POST /federizer/deliveries`: verifies the DPoP proof, the hop assertion and the whole chain, then
 * stores the message for each local recipient and queues its fetches (or forward) in one transaction
 * that also records the proof's jti, and only then answers. Every refusal is a FederationError (a 4xx with `{ error, error_description }`)
 * and leaves nothing behind.
 * @see docs/protocol.md §6 (Delivery); RFC 9449 §7.1
 */
export async function handleDelivery(ctx: GatewayContext, req: IncomingMessage): Promise<DeliveryResponse> {
  const format = bodyFormat(req.headers['content-type'])
  const pushMax = ctx.federation.pushMaxBytes
  const raw = await readLimitedBody(
    req,
    ctx.config.limits.maxPlaceholderBytes + DELIVERY_WRAPPER_ALLOWANCE + Math.ceil((pushMax * 4) / 3),
  )
  const { token: assertion, proof } = readDpopCredentials(req)
  const {
    placeholder: message,
    recipients,
    resources,
  } = parseDeliveryBody(decodeBody(raw, format, 'delivery'), ctx.config.limits.maxPlaceholderBytes)
  const now = ctx.now()

  let proofKey: string
  // The proof's jti is recorded by the delivery's own transaction (storeDelivery), not here: a delivery
  // refused below leaves no key, and a replay is refused by the insert that would store it.
  let replayKey: { key: string; expiresAt: number } | undefined
  const deferredReplay: ReplayStore = {
    seen: async (key, expiresAt) => {
      replayKey = { key, expiresAt }
      return false
    },
  }
  try {
    proofKey = (
      await verifyDpopProof(proof, {
        htm: 'POST',
        htu: ctx.federation.urls.deliveryEndpoint,
        now,
        replay: deferredReplay,
        accessToken: assertion,
      })
    ).jkt
  } catch (e) {
    throw fromProtocolError(e, 'DPoP proof')
  }
  const newest = message.envelope[0]
  if (!newest || !('jwt-assertion' in newest)) {
    // A receipt on top: a copy as some mailbox stored it, not a chain as a sender delivers it.
    throw new FederationError(
      'invalid_chain',
      "the envelope's newest block must be the jwt-assertion the message is delivered with, not a receipt",
    )
  }
  if (newest['jwt-assertion'] !== assertion) {
    throw new FederationError(
      'invalid_token',
      'the assertion in the Authorization header is not the newest jwt-assertion block of the envelope',
    )
  }

  let verification: ChainVerification
  try {
    verification = await verifyEnvelopeChain(ctx, message, { lastHopMustBeFresh: true })
  } catch (e) {
    throw fromProtocolError(e, 'envelope chain')
  }
  if (!verification.ok) throw chainFailure(verification)
  const top = verification.hops.reduce((a, b) => (b.index > a.index ? b : a))
  const claims = decodeJwt(assertion) as { cnf?: { jkt?: string } }
  if (claims.cnf?.jkt !== proofKey) {
    throw new FederationError(
      'invalid_dpop_proof',
      'the DPoP proof key is not the key the assertion is bound to (cnf.jkt)',
    )
  }
  const senderDomain = top.senderDomain
  if (!senderDomain) throw new FederationError('invalid_chain', 'the newest hop names no sender domain')
  // The verified origin: the domain of hop 0's From, whose AS signed it (idempotency keys on it, item 5).
  const originDomain = verification.hops.find((h) => h.index === 0)?.senderDomain
  if (!originDomain) throw new FederationError('invalid_chain', 'the origin hop names no sender domain')
  // Pushed resources are checked against the body the chain just verified, before anything is stored.
  if (resources !== undefined && pushMax === 0)
    throw new FederationError(
      'invalid_request',
      'this mailbox takes no pushed resources (its /.well-known/federizer has no push_max_bytes); send the placeholder alone',
    )
  let pushed: Map<string, Buffer>
  try {
    pushed = verifyPushed(message, resources, pushMax)
  } catch (e) {
    throw fromProtocolError(e, 'pushed resources')
  }

  // Recipients: ours, and for a forwarding hop also among the signed Forwarded-To.
  for (const r of recipients) {
    if (domainOf(r) !== ctx.config.domain.toLowerCase()) {
      throw new FederationError('foreign_recipient', `${r} is not an address of ${ctx.config.domain}`)
    }
  }
  if (top.kind === 'forward') {
    const forwardedTo = new Set((top.forwardedTo ?? []).map((a) => a.toLowerCase()))
    const outside = recipients.find((r) => !forwardedTo.has(r))
    if (outside)
      throw new FederationError(
        'invalid_request',
        `${outside} is not among the signed Forwarded-To addresses`,
      )
  }
  const size = messageBytes(message)
  checkMessageSize(ctx, size)
  refuseBlockedPeer(ctx, senderDomain)
  // SQLite charges the peer inside the delivery's transaction (one commit per hop); PostgreSQL before
  // it, each counter upsert committing alone (in the SERIALIZABLE delivery every concurrent delivery of
  // one peer would conflict on its counter row).
  const chargeInside = dialectOf(ctx.db) === 'sqlite'
  if (!chargeInside) await chargePeer(ctx, senderDomain, size)
  const results: DeliveryResult[] = []
  const accepted: string[] = []
  for (const r of recipients) {
    const user = await findUser(ctx.db, r)
    if (!user)
      results.push({
        recipient: r,
        status: 'rejected',
        error: 'unknown_recipient',
        error_description: `${r} has no mailbox here`,
      })
    else if (user.disabled)
      results.push({
        recipient: r,
        status: 'rejected',
        error: 'recipient_disabled',
        error_description: `the mailbox of ${r} is disabled`,
      })
    else if (!(await hasRoom(ctx, r, size)))
      results.push({
        recipient: r,
        status: 'deferred',
        error: 'mailbox_full',
        error_description: `${r}'s mailbox is full; retry later`,
      })
    else accepted.push(r)
  }
  if (accepted.length === 0) {
    // Nothing is stored, yet the request counts against the peer's budget (its own commit).
    if (chargeInside) await chargePeer(ctx, senderDomain, size)
    const deferred = results.find((x) => x.status === 'deferred')
    if (deferred?.error_description && results.every((x) => x.status === 'deferred'))
      throw new FederationError('mailbox_full', deferred.error_description)
    // Some refused for good, some deferred: nothing stored, each recipient's answer given.
    if (deferred) return { status: 200, body: { message_id: messageIdOf(message), results } }
    const first = results.find((x) => x.status === 'rejected') ?? results[0]
    throw new FederationError(
      'unknown_recipient',
      first?.error_description ?? 'no recipient can receive this message',
    )
  }

  const messageId = messageIdOf(message)
  // Up to 64 KiB each, kept in the database by the transaction that stores the copies (hashed again
  // there); a larger one (a node pushing more than that) on disk, hashed and fsynced, before it.
  const small: SmallResource[] = []
  for (const [contentId, bytes] of pushed)
    if (bytes.length <= SMALL_RESOURCE_MAX_BYTES) small.push({ contentId, bytes })
    else
      await ctx.federation.resources.write(Readable.from([bytes]), {
        maxBytes: bytes.length,
        expectedContentId: contentId,
      })
  if (!replayKey) throw new Error('the DPoP proof was verified without its replay key')
  const stored = await storeDelivery(ctx.db, {
    replayKey,
    message: pushReceipt(message, {
      fromDomain: senderDomain,
      byDomain: ctx.config.domain,
      date: new Date(now * 1000),
    }),
    senderDomain,
    messageId,
    assertionDigest: jwtAssertionDigest(assertion),
    originDomain,
    recipients: accepted,
    verification,
    now,
    lifetimeSeconds: ctx.domain.schedule.lifetimeSeconds,
    pushed,
    small,
    ...(chargeInside ? { charge: (trx: Db) => chargePeer(ctx, senderDomain, size, trx) } : {}),
  }).catch(async (e: unknown) => {
    if (e instanceof FederationError && e.code === 'rate_limited')
      await countRefusedDelivery(ctx, senderDomain)
    throw isProtocolError(e) && e.code === 'replayed' ? fromProtocolError(e, 'DPoP proof') : e
  })
  const queued = new Set(stored.flatMap((s) => s.queued))
  if (queued.size > 0) ctx.federation.wake([...queued])
  ctx.logger.info(
    {
      from: senderDomain,
      messageId,
      hops: verification.hops.length,
      stored: stored.map(
        (s) => `${s.recipient}${s.duplicate ? ' (repeat)' : s.forwarded ? ' (forwarding)' : ''}`,
      ),
    },
    'accepted delivery',
  )
  for (const s of stored) results.push({ recipient: s.recipient, status: 'accepted' })
  results.sort((a, b) => recipients.indexOf(a.recipient) - recipients.indexOf(b.recipient))
  return {
    status: stored.every((s) => s.duplicate) ? 200 : 202,
    body: { message_id: messageId, results },
  }
}

/**
 * Validates the `{ placeholder, recipients, resources? }` wrapper; the placeholder through the protocol's
 * model. `resources` (pushed, docs/protocol.md §6) is returned as it came, for `verifyPushed`.
 */
export function parseDeliveryBody(
  value: unknown,
  maxPlaceholderBytes: number,
): { placeholder: PlaceholderMessage; recipients: string[]; resources: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FederationError('invalid_request', 'the body must be an object { placeholder, recipients }')
  }
  const { placeholder, recipients, resources } = value as {
    placeholder?: unknown
    recipients?: unknown
    resources?: unknown
  }
  if (!Array.isArray(recipients) || recipients.length === 0 || recipients.length > MAX_RECIPIENTS) {
    throw new FederationError(
      'invalid_request',
      `"recipients" must be a list of 1 to ${MAX_RECIPIENTS} addresses`,
    )
  }
  const list: string[] = []
  for (const r of recipients) {
    if (typeof r !== 'string' || !isAddrSpec(r)) {
      throw new FederationError(
        'invalid_request',
        `"recipients" holds ${JSON.stringify(r)?.slice(0, 100)}, not an addr-spec`,
      )
    }
    const lower = r.toLowerCase()
    if (!list.includes(lower)) list.push(lower)
  }
  if (placeholder === undefined) throw new FederationError('invalid_request', 'the body has no "placeholder"')
  if (JSON.stringify(placeholder).length > maxPlaceholderBytes) {
    throw new FederationError('payload_too_large', `the placeholder exceeds ${maxPlaceholderBytes} bytes`)
  }
  let parsed: PlaceholderMessage
  try {
    parsed = parseMessageJson(placeholder)
  } catch (e) {
    throw fromProtocolError(e, 'placeholder')
  }
  return { placeholder: parsed, recipients: list, resources }
}
