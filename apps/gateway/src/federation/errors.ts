import { isProtocolError } from '@federizer/protocol'
import { DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailableError } from '@federizer/store'

/** Stable error codes of the federation endpoints (the `error` member of the problem body). */
export type FederationErrorCode =
  | 'invalid_request' // malformed body, wrong shape, missing field
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'invalid_token' // the assertion / fetch token is not acceptable (RFC 6750 §3.1)
  | 'invalid_dpop_proof' // RFC 9449 §7.1
  | 'use_dpop_nonce'
  | 'invalid_chain' // the envelope chain does not verify
  | 'unknown_recipient'
  | 'foreign_recipient'
  | 'access_denied'
  | 'not_found'
  | 'temporarily_unavailable'
  | 'rate_limited' // a peer domain's hourly budget is spent (docs/protocol.md §6)
  | 'mailbox_full' // every recipient's mailbox is full: temporary, the sender retries
  | 'resource_mismatch' // a pushed resource is not what the signed body names (docs/protocol.md §6)

const statusOf: Record<FederationErrorCode, number> = {
  invalid_request: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  invalid_token: 401,
  invalid_dpop_proof: 401,
  use_dpop_nonce: 401,
  invalid_chain: 400,
  unknown_recipient: 422,
  foreign_recipient: 400,
  access_denied: 403,
  not_found: 404,
  temporarily_unavailable: 503,
  rate_limited: 429,
  // RFC 4918 §11.5: "unable to store the representation … considered to be temporary".
  mailbox_full: 507,
  resource_mismatch: 422,
}

/** A refusal of a federation request: answered as `{ error, error_description }` with the code's status. */
export class FederationError extends Error {
  override readonly name = 'FederationError'
  readonly status: number
  /** Seconds the peer should wait before retrying (Retry-After), for temporary refusals. */
  readonly retryAfter: number | undefined
  constructor(
    readonly code: FederationErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfter?: number },
  ) {
    super(message, options)
    this.status = statusOf[code]
    this.retryAfter = options?.retryAfter
  }
  toBody() {
    return { error: this.code, error_description: this.message }
  }
}

/**
 * Maps a protocol library failure onto the federation error a peer can act on.
 * `where` names the checked object (e.g. "hop assertion") so the description says what failed.
 */
export function fromProtocolError(e: unknown, where: string): FederationError {
  if (e instanceof FederationError) return e
  if (e instanceof DatabaseUnavailableError) return databaseUnavailable(e)
  if (isProtocolError(e)) {
    const message = `${where}: ${e.message}`
    switch (e.code) {
      case 'invalid_dpop':
      case 'replayed':
        return new FederationError('invalid_dpop_proof', message, { cause: e })
      case 'use_dpop_nonce':
        return new FederationError('use_dpop_nonce', message, { cause: e })
      case 'invalid_chain':
      case 'invalid_digest':
        return new FederationError('invalid_chain', message, { cause: e })
      case 'malformed_message':
      case 'malformed_json':
      case 'malformed_yaml':
      case 'invalid_address':
        return new FederationError('invalid_request', message, { cause: e })
      case 'too_large':
        // A peer document over its cap (it names the URL fetched) is the peer's fault, not this body's.
        if (/:\/\//.test(e.message))
          return new FederationError(
            'invalid_token',
            `${where}: the sender's authorization server, mailbox document or keys are not acceptable (too_large)`,
            { cause: e },
          )
        return new FederationError('payload_too_large', message, { cause: e })
      case 'resource_mismatch':
        return new FederationError('resource_mismatch', message, { cause: e })
      case 'discovery_failed':
        return cannotVerify(where, e)
      case 'private_address':
        // Never tell a peer which addresses this node resolved or refused (the cause goes to the log).
        return new FederationError(
          'invalid_token',
          `${where}: the sender's authorization server, mailbox document or keys are not acceptable (private_address)`,
          { cause: e },
        )
      default:
        return new FederationError('invalid_token', message, { cause: e })
    }
  }
  // Not a refusal but a fault: the edge logs it with the request id and answers a generic 500.
  throw e
}

/**
 * A check that could not complete (the sender's AS, mailbox document or JWKS unreachable at this
 * moment) is temporary: 503 with Retry-After, so the sender retries instead of bouncing. The
 * description names what could not be checked, never the discovery details (they go to the log).
 * @see docs/protocol.md §6, RFC 9110 §15.6.4 and §10.2.3
 */
export function cannotVerify(what: string, cause: unknown): FederationError {
  return new FederationError(
    'temporarily_unavailable',
    `${what} could not be verified now (the sender's authorization server or keys are unreachable); retry later`,
    { cause },
  )
}

/** Seconds a sender should wait before retrying a `temporarily_unavailable` answer. */
export const RETRY_AFTER_SECONDS = 30

/**
 * This node's database cannot be reached now (issue 13: PostgreSQL stopped or restarting): nothing was
 * decided or stored, so the answer is 503 with Retry-After and the sender retries, never bounces.
 * @see docs/protocol.md §6, RFC 9110 §15.6.4
 */
function databaseUnavailable(cause: DatabaseUnavailableError): FederationError {
  return new FederationError(
    'temporarily_unavailable',
    `this node's database is unavailable right now; nothing was stored: retry in ${DATABASE_RETRY_AFTER_SECONDS} seconds`,
    { cause, retryAfter: DATABASE_RETRY_AFTER_SECONDS },
  )
}

/** The refusal `e` answers as, or undefined for a fault (a bug: logged, answered 500). */
export function asFederationError(e: unknown): FederationError | undefined {
  if (e instanceof FederationError) return e
  if (e instanceof DatabaseUnavailableError) return databaseUnavailable(e)
  return undefined
}
