export * from './config.ts'
export * from './db.ts'
export type { DatabaseSchema } from './schema.ts'
