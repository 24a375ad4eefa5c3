import type { Db } from './db.ts'

/**
 * A jti replay store on the shared database (RFC 9449 §11.1, RFC 7523 §3 item 7): `seen(key, exp)`
 * returns true if the key was already recorded and unexpired, otherwise records it. The insert is the
 * check, so two replicas cannot both accept the same proof.
 */
export function createReplayStore(db: Db, now: () => number) {
  return {
    async seen(key: string, expiresAt: number): Promise<boolean> {
      const t = now()
      const result = await db
        .insertInto('replay_cache')
        .values({ key, expires_at: expiresAt })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({ expires_at: expiresAt }).where('replay_cache.expires_at', '<=', t),
        )
        .executeTakeFirst()
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 0
    },
  }
}

/** Deletes replay keys and revocations whose tokens have expired. */
export async function pruneReplayCache(db: Db, now: number): Promise<void> {
  await db.deleteFrom('replay_cache').where('expires_at', '<=', now).execute()
  await db.deleteFrom('token_revocations').where('expires_at', '<=', now).execute()
}

/** Records a revoked JWT (by jti) until it would have expired anyway (RFC 7009 §2.1). */
export async function revokeJwt(db: Db, jti: string, expiresAt: number): Promise<void> {
  await db
    .insertInto('token_revocations')
    .values({ jti, expires_at: expiresAt })
    .onConflict((oc) => oc.column('jti').doNothing())
    .execute()
}

export async function isJwtRevoked(db: Db, jti: string): Promise<boolean> {
  const row = await db.selectFrom('token_revocations').select('jti').where('jti', '=', jti).executeTakeFirst()
  return row !== undefined
}
