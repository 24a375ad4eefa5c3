import type { Kysely } from 'kysely'

/**
 * Drops `federation_replay` (migration 003): the DPoP proofs of both servers of a domain are remembered in
 * one replay store, `replay_cache` (auth-replay.ts), and nothing has written the older table since.
 * Dropping the table drops its expiry index with it, on both dialects.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('federation_replay').ifExists().execute()
}
