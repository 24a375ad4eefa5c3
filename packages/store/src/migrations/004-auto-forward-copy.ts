import type { Kysely } from 'kysely'

/** Auto-forward may keep a copy: the user's own mailbox then fetches the content as a recipient. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('account_settings')
    .addColumn('auto_forward_keep_copy', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
}
