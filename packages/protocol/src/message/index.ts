/**
 * `@federizer/protocol/message`: the Placeholder Message model, codecs, builder and reader.
 * Browser-safe: nothing here imports node:crypto (digests live in ../digest).
 */
export * from './address.ts'
export * from './builder.ts'
export * from './content-type.ts'
export * from './date.ts'
export * from './digest-format.ts'
export * from './headers.ts'
export * from './html-text.ts'
export * from './json-codec.ts'
export * from './limits.ts'
export * from './reader.ts'
export * from './schema.ts'
export * from './types.ts'
export * from './validate.ts'
export * from './yaml-codec.ts'
