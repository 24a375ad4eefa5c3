import type { Kysely } from 'kysely'

/** A per-user storage quota set by the operator; NULL means the domain's default (`limits.userQuotaBytes`). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('quota_bytes', 'integer').execute()
}
