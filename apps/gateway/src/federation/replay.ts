import type { ReplayStore } from '@federizer/protocol'
import type { Db } from '@federizer/store'
import { sql } from 'kysely'

/**
 * DPoP `jti` replay cache in the domain's database, so every gateway replica (and a restarted one)
 * refuses a proof it has already seen. Insert-or-fail on the primary key is the atomic check.
 * @see RFC 9449 §11.1
 */
export function createDbReplayStore(db: Db, now: () => number): ReplayStore {
  let lastSweep = 0
  return {
    async seen(key, expiresAt) {
      const t = now()
      if (t - lastSweep > 60) {
        lastSweep = t
        await db.deleteFrom('federation_replay').where('expires_at', '<', t).execute()
      }
      const result = await db
        .insertInto('federation_replay')
        .values({ key, expires_at: expiresAt })
        .onConflict((oc) =>
          oc
            .column('key')
            .doUpdateSet({ expires_at: expiresAt })
            .where(sql<boolean>`federation_replay.expires_at < ${t}`),
        )
        .executeTakeFirst()
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 0
    },
  }
}
