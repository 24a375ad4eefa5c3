import { startPostgres } from '../src/pg-cluster.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Maintenance-database URL of the private cluster of this run (the `postgres` project only). */
    postgresAdminUrl: string
  }
}

/** One private PostgreSQL cluster per vitest run; every test file creates its own database in it. */
export default async function setup(project: { provide(key: 'postgresAdminUrl', value: string): void }) {
  const cluster = await startPostgres()
  project.provide('postgresAdminUrl', cluster.url('postgres'))
  return () => cluster.stop()
}
