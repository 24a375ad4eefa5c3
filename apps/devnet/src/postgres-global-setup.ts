import { startPostgres } from '@federizer/store/pg-cluster'
import { testStoreIsPostgres } from './postgres.ts'

/**
 * Vitest global setup of the workspaces whose suites also run on PostgreSQL (`npm run test:pg`): with
 * FEDERIZER_TEST_STORE=postgres, one private cluster for the whole run; the test workers, started after
 * this, inherit its URL. Without the switch it does nothing.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (!testStoreIsPostgres()) return undefined
  const cluster = await startPostgres()
  process.env.FEDERIZER_TEST_PG_ADMIN = cluster.url('postgres')
  return () => cluster.stop()
}
