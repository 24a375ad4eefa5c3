import { isProtocolError, type ProtocolError } from '@federizer/protocol'
import {
  ContentMismatchError,
  InvalidSyncStateError,
  KeyStoreError,
  ResourceAbortedError,
  ResourceTooLargeError,
  StoreError,
} from '@federizer/store'
import { TRPCError } from '@trpc/server'
import { AuthError } from './auth.ts'

/** A failure of the send-time token exchange with the domain's AS. */
export class SendRefusedError extends Error {
  override readonly name = 'SendRefusedError'
  constructor(
    readonly code: 'refused' | 'unreachable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

type Code = TRPCError['code']

/**
 * A send given the compose form saved it as draft `draftId`, then failed (refused, unreachable AS, no
 * recipient): the answer names the draft (`data.draftId`), so the webmail keeps editing that draft
 * instead of saving a second one.
 */
export class DraftSavedError extends TRPCError {
  constructor(
    failure: TRPCError,
    readonly draftId: string,
  ) {
    super({ code: failure.code, message: failure.message, cause: failure.cause ?? failure })
  }
}

/** The one table from domain errors to tRPC codes (and so HTTP statuses). */
const STORE_CODES: Record<StoreError['code'], Code> = {
  not_found: 'NOT_FOUND',
  conflict: 'CONFLICT',
  invalid_input: 'BAD_REQUEST',
  too_large: 'PAYLOAD_TOO_LARGE',
  content_mismatch: 'BAD_REQUEST',
  aborted: 'BAD_REQUEST',
  // Issue 13: the database is down or restarting; answered 503 with Retry-After (app.ts, responseMeta).
  unavailable: 'SERVICE_UNAVAILABLE',
}

const PROTOCOL_CODES: Partial<Record<ProtocolError['code'], Code>> = {
  malformed_message: 'BAD_REQUEST',
  malformed_json: 'BAD_REQUEST',
  malformed_yaml: 'BAD_REQUEST',
  too_large: 'PAYLOAD_TOO_LARGE',
  invalid_digest: 'BAD_REQUEST',
  invalid_address: 'BAD_REQUEST',
}

/** Maps anything thrown by a procedure to a TRPCError whose message a person can act on. */
export function toTrpcError(e: unknown): TRPCError {
  if (e instanceof TRPCError) return e
  if (e instanceof AuthError) {
    const code = e.code === 'insufficient_scope' ? 'FORBIDDEN' : 'UNAUTHORIZED'
    return new TRPCError({ code, message: e.message, cause: e })
  }
  if (e instanceof InvalidSyncStateError)
    return new TRPCError({ code: 'BAD_REQUEST', message: e.message, cause: e })
  if (
    e instanceof StoreError ||
    e instanceof ResourceTooLargeError ||
    e instanceof ContentMismatchError ||
    e instanceof ResourceAbortedError
  ) {
    return new TRPCError({ code: STORE_CODES[e.code], message: e.message, cause: e })
  }
  if (e instanceof SendRefusedError) {
    return new TRPCError({
      code: e.code === 'refused' ? 'FORBIDDEN' : 'BAD_GATEWAY',
      message: e.message,
      cause: e,
    })
  }
  if (e instanceof KeyStoreError) {
    return new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: 'the domain keys are not available yet',
      cause: e,
    })
  }
  if (isProtocolError(e)) {
    const code = PROTOCOL_CODES[e.code]
    if (code) return new TRPCError({ code, message: e.message, cause: e })
  }
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'internal error', cause: e })
}
