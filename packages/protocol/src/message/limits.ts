/**
 * Documented bounds of the Placeholder Message model. Every parser enforces them before doing work
 * proportional to the input, so a hostile message costs at most these amounts.
 */
export const LIMITS = {
  /** UTF-8 bytes of the message serialized as JSON. */
  maxMessageBytes: 256 * 1024,
  /** Characters of a YAML or JSON text accepted for parsing (checked before parsing). */
  maxTextBytes: 512 * 1024,
  /** Envelope blocks (header blocks + assertion blocks); 16 hops need 33. */
  maxEnvelopeBlocks: 64,
  /** Headers in one envelope block or one part. */
  maxHeadersPerBlock: 256,
  /** Nesting depth of parts (the top-level parts are depth 1). */
  maxPartDepth: 8,
  /** Parts in the whole body tree. */
  maxParts: 256,
  /** Characters of one header value. */
  maxHeaderValueLength: 8 * 1024,
  /** Characters of one header name. */
  maxHeaderNameLength: 128,
  /** Characters of one compact JWS in a `jwt-assertion` block. */
  maxAssertionLength: 16 * 1024,
  /** Hop assertions in one chain (docs/protocol.md §3, hop cap). */
  maxHops: 16,
} as const
