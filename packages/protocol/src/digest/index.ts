/** Digests of the wire profile (docs/protocol.md §2). Uses node:crypto: not part of the browser-safe subset. */
export * from './digest.ts'
export * from './message-digests.ts'
export * from './stream.ts'
