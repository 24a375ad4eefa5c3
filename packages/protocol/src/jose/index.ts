export * from './jwt.ts'
