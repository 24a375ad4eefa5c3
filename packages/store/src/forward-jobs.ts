import type { Db } from './db.ts'
import type { ForwardJobRow } from './schema-federation.ts'

export type { ForwardJobRow }

/** The claimed auto-forward jobs (the MTA claims by lease, then reads them). */
export async function forwardJobsByIds(db: Db, ids: readonly string[]): Promise<ForwardJobRow[]> {
  if (ids.length === 0) return []
  return db.selectFrom('forward_jobs').selectAll().where('id', 'in', ids).execute()
}
