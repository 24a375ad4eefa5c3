/** The envelope chain: seal, push assertion / receipt / forwarding blocks, verify (docs/protocol.md §3). */
export * from './build.ts'
export * from './ehl.ts'
export * from './push.ts'
export * from './verify.ts'
