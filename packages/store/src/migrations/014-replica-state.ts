import { type Kysely, sql } from 'kysely'
import { dialectOf } from '../dialect.ts'

/** The MTA queue tables whose new rows wake the workers of every replica (queue-wakeups.ts listens). */
const QUEUES = ['outbox', 'fetch_jobs', 'forward_jobs', 'vacation_jobs'] as const

/**
 * State several replicas of one domain must share (issue 13):
 * - `node_secrets`: named random keys made once by whichever replica asks first (the DPoP nonce key, so
 *   every replica accepts the nonces another handed out). Both dialects.
 * - PostgreSQL only: a statement trigger on each queue table that calls `pg_notify('federizer_queue',
 *   <table>)`, so whoever inserts queue rows (api, gateway, any replica) wakes every listening MTA when
 *   its transaction commits, and only then (NOTIFY is transactional).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('node_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
  if (dialectOf(db) !== 'postgres') return
  await sql`
    CREATE FUNCTION federizer_queue_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('federizer_queue', TG_TABLE_NAME);
      RETURN NULL;
    END $$`.execute(db)
  for (const table of QUEUES)
    await sql`CREATE TRIGGER ${sql.id(`${table}_queued`)} AFTER INSERT ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION federizer_queue_notify()`.execute(db)
}
