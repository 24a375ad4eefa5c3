import { randomBytes } from 'node:crypto'
import type { StoreConfig } from '@federizer/node'
import { migrateDatabase } from '@federizer/store'
import { createDatabase } from '@federizer/store/pg-cluster'

export { type PostgresCluster, postgresInstalled, startPostgres } from '@federizer/store/pg-cluster'

/**
 * The test switch for the PostgreSQL store: `FEDERIZER_TEST_STORE=postgres` runs a workspace's suites with
 * every devnet domain on PostgreSQL (a private cluster started by postgres-global-setup.ts, whose
 * maintenance URL it leaves in FEDERIZER_TEST_PG_ADMIN). Unset: SQLite files, as always.
 */
export const testStoreIsPostgres = (): boolean => process.env.FEDERIZER_TEST_STORE === 'postgres'

/**
 * A fresh, migrated PostgreSQL database for `domain` in the cluster at `adminUrl` (what `federizer migrate`
 * does before the replicas start), as the domain's store config.
 */
export async function postgresStore(adminUrl: string, domain: string): Promise<StoreConfig> {
  const name = `${domain.replace(/[^a-z0-9]+/g, '_').slice(0, 40)}_${randomBytes(4).toString('hex')}`
  const url = await createDatabase(adminUrl, name)
  await migrateDatabase(url)
  return { kind: 'postgres', url }
}

/** The store a test domain gets: undefined (SQLite in its data folder) unless the switch is on. */
export async function testStore(domain: string): Promise<StoreConfig | undefined> {
  if (!testStoreIsPostgres()) return undefined
  const admin = process.env.FEDERIZER_TEST_PG_ADMIN
  if (!admin)
    throw new Error(
      'FEDERIZER_TEST_STORE=postgres needs the private cluster: add apps/devnet/src/postgres-global-setup.ts to the vitest globalSetup',
    )
  return postgresStore(admin, domain)
}
