/** The envelope chain: seal, push assertion / receipt / forwarding blocks, verify (DESIGN §3). */
export * from './build.ts'
export * from './ehl.ts'
export * from './verify.ts'
