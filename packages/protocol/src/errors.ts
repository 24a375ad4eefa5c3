/**
 * Every failure of the protocol library is a ProtocolError with a stable `code` (for programs)
 * and a message a person can act on (for logs and error bodies). Nothing else is thrown on bad input.
 */
export type ProtocolErrorCode =
  | 'malformed_message' // the Placeholder Message does not match the model
  | 'malformed_yaml' // YAML that does not parse, or uses aliases, tags or anchors
  | 'malformed_json'
  | 'too_large' // input beyond a documented limit
  | 'invalid_digest' // not 43 base64url characters, or not matching
  | 'invalid_address'
  | 'invalid_jwt' // not a compact JWS, bad JSON, missing claims
  | 'invalid_signature'
  | 'wrong_typ'
  | 'alg_not_allowed'
  | 'missing_kid'
  | 'unknown_key'
  | 'key_not_valid' // the key exists but did not sign at the token's iat (outside its signing window)
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'replayed'
  | 'invalid_dpop'
  | 'use_dpop_nonce'
  | 'invalid_chain'
  | 'invalid_pkce'
  | 'discovery_failed'
  | 'private_address'
  | 'resource_mismatch' // a pushed resource is not the one the signed body names (docs/protocol.md §6)
  | 'token_exchange_failed' // the AS refused a token exchange (its error and error_description are kept)

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError'
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export function isProtocolError(e: unknown, code?: ProtocolErrorCode): e is ProtocolError {
  return e instanceof ProtocolError && (code === undefined || e.code === code)
}
