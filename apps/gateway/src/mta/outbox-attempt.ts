/**
 * One delivery attempt of an outbox row: discovery, the DPoP-bound POST to the recipient domain's mailbox
 * (or the SMTP bridge) and what the answer means (docs/protocol.md §6 Delivery).
 */
import {
  choosePushed,
  type FederizerDocument,
  lastAssertion,
  type PlaceholderMessage,
  type PushedResource,
} from '@federizer/protocol'
import { type OutboxRow, storedDpopKey, storedPlaceholder, storedStrings } from '@federizer/store'
import type { GatewayContext } from '../context.ts'
import { classifyFailure } from '../outbound/classify.ts'
import { deliverSmtp } from '../smtp/outbound.ts'
import { routeWithoutFederizer } from '../smtp/route.ts'
import {
  type DpopAnswer,
  dpopPost,
  isTransientStatus,
  peerStreamOf,
  readAtMost,
  readProblem,
} from './dpop-post.ts'
import { errorText } from './error-text.ts'

/** One recipient's answer from the receiving mailbox. */
export interface RecipientResult {
  recipient: string
  /** `deferred` (e.g. `mailbox_full`): not stored, retried; `rejected` is final. */
  status: 'accepted' | 'rejected' | 'deferred'
  error?: string
  error_description?: string
}

/** A delivery answer lists one short result per recipient: more than this is not a real answer. */
const MAX_RESULTS_BYTES = 256 * 1024

/** How long one delivery POST may take before it counts as a failed attempt. */
const DELIVERY_TIMEOUT_MS = 60_000

/** `reason` is shown to the sender (ours, classified); `detail` is the raw cause, for the log only. */
export type Outcome =
  /** `reasons`: per refused recipient, the SMTP bridge's plain-words account of the MX's reply (never a peer's body). */
  | { kind: 'delivered'; results: RecipientResult[]; reasons?: Record<string, string> }
  | { kind: 'permanent'; reason: string; detail?: string }
  /**
   * `unanswered`: the peer could not be found or reached, did not answer in time, or answered 5xx / 429
   * (busy): its concurrency window shrinks (window.ts).
   */
  | { kind: 'transient'; reason: string; detail?: string; unanswered?: boolean }

/** Our words for the receiver's stable refusal codes (docs/protocol.md §3 Delivery). */
export function knownRefusal(code: string | undefined): string | undefined {
  if (code === 'unknown_recipient') return 'no such mailbox at the recipient domain'
  if (code === 'recipient_disabled') return 'the mailbox is disabled'
  return undefined
}

/** What the sender reads while a recipient's mailbox is full (docs/protocol.md §6: temporary). */
export const mailboxFullText = (recipients: string[]) =>
  `${recipients.length === 1 ? `${recipients[0]}'s mailbox is` : `the mailboxes of ${recipients.join(', ')} are`} full (mailbox_full); retrying until there is room`

/**
 * The resources pushed with a delivery (docs/protocol.md §6, "Pushed resources"): the small text and
 * HTML bodies, when the peer advertises `push_max_bytes` and this node pushes at all. A body not in the
 * store (yet) is simply left for the receiver to fetch.
 */
async function pushedFor(
  ctx: GatewayContext,
  peer: FederizerDocument,
  placeholder: PlaceholderMessage,
): Promise<{ resources?: PushedResource[] }> {
  const budget = Math.min(peer.push_max_bytes ?? 0, ctx.federation.pushMaxBytes)
  if (budget <= 0) return {}
  const resources: PushedResource[] = []
  for (const r of choosePushed(placeholder, budget)) {
    const bytes = await ctx.federation.resources.readSmall(r.contentId, r.size)
    if (bytes && bytes.length === r.size)
      resources.push({ content_id: r.contentId, data: bytes.toString('base64url') })
  }
  return resources.length > 0 ? { resources } : {}
}

/** Attempts one delivery of `row` and classifies the answer: delivered (per recipient), permanent or transient. */
export async function attemptDelivery(
  ctx: GatewayContext,
  row: OutboxRow,
  signal: AbortSignal,
): Promise<Outcome> {
  let placeholder: PlaceholderMessage
  let recipients: string[]
  let key: ReturnType<typeof storedDpopKey>
  try {
    placeholder = storedPlaceholder(row.placeholder)
    recipients = storedStrings(row.recipients)
    key = storedDpopKey(row.dpop_key)
  } catch {
    return { kind: 'permanent', reason: 'the queued message is corrupt and cannot be sent' }
  }
  // A vacation reply to mail that came over SMTP has no assertion: it may leave over SMTP only.
  const assertion = lastAssertion(placeholder)
  let peer: FederizerDocument
  try {
    peer = await ctx.discovery.mailbox(row.recipient_domain)
  } catch (e) {
    // A domain that does not exist, or takes no mail, fails at once; any other failure is retried.
    const route = await routeWithoutFederizer(ctx.mailDns, row.recipient_domain)
    if (route.kind === 'none') return { kind: 'permanent', reason: route.reason }
    // No Federizer records but mail exchangers: the SMTP bridge (docs/smtp-bridge.md).
    if (route.kind === 'smtp')
      return deliverSmtp(ctx, { hosts: route.hosts, sender: row.account, recipients, placeholder })
    return {
      kind: 'transient',
      reason: `the mailbox of ${row.recipient_domain} could not be discovered (${codeOf(e)})`,
      detail: errorText(e),
      unanswered: true,
    }
  }
  if (!assertion) return { kind: 'permanent', reason: 'the queued message carries no hop assertion' }
  let res: DpopAnswer
  try {
    res = await dpopPost({
      fetch: ctx.federation.fetch,
      stream: peerStreamOf(ctx.domain, ctx.federation.fetch),
      url: peer.delivery_endpoint,
      token: assertion,
      key,
      body: JSON.stringify({ placeholder, recipients, ...(await pushedFor(ctx, peer, placeholder)) }),
      now: ctx.now,
      // A receiver that never answers must not hold a delivery slot forever (it stores before answering).
      signal: AbortSignal.any([signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
    })
  } catch (e) {
    if (signal.aborted) throw e
    return {
      kind: 'transient',
      reason: `${row.recipient_domain} could not be reached: ${classifyFailure(e)}`,
      detail: errorText(e),
      unanswered: true,
    }
  }
  if (res.status >= 200 && res.status <= 299) {
    const body = safeJson(await readAtMost(res, MAX_RESULTS_BYTES), {}) as { results?: RecipientResult[] }
    const results = Array.isArray(body.results) ? body.results : []
    const answers = recipients.map((r) => results.find((x) => sameAddress(x?.recipient, r)))
    // A recipient the answer does not name was not confirmed: the whole delivery is retried (the
    // receiver's idempotency record keeps the ones it did store from being stored twice).
    const missing = recipients.filter((_, i) => answers[i] === undefined)
    if (missing.length > 0)
      return {
        kind: 'transient',
        reason: `${row.recipient_domain} did not confirm ${missing.join(', ')}: invalid response`,
      }
    return {
      kind: 'delivered',
      results: recipients.map((recipient, i) => {
        const a = answers[i] as RecipientResult
        if (a.status === 'accepted') return { recipient, status: 'accepted' }
        const error = typeof a.error === 'string' && CODE_RE.test(a.error) ? a.error : 'rejected'
        return { recipient, status: a.status === 'deferred' ? 'deferred' : 'rejected', error }
      }),
    }
  }
  const problem = await readProblem(res)
  const reason =
    problem.error === 'mailbox_full'
      ? mailboxFullText(recipients)
      : `${row.recipient_domain} refused the message (${problem.error}): ${knownRefusal(problem.error) ?? problem.description}`
  const detail = problem.detail
  return isTransientStatus(res.status)
    ? { kind: 'transient', reason, detail, unanswered: problem.error !== 'mailbox_full' }
    : { kind: 'permanent', reason, detail }
}

function safeJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T
  } catch {
    return fallback
  }
}

const CODE_RE = /^[a-z][a-z0-9_]{0,63}$/

const sameAddress = (a: unknown, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase()

/** The stable code of a protocol error (e.g. `discovery_failed`), else a generic word. */
function codeOf(e: unknown): string {
  const code = (e as { code?: unknown })?.code
  return typeof code === 'string' && CODE_RE.test(code) ? code : 'error'
}
