import type { ReplayStore } from '@federizer/protocol'
import type { Db } from './db.ts'

/** Rows per upsert: two parameters each, far below SQLite's and PostgreSQL's parameter limits. */
const BATCH_ROWS = 500

interface Claim {
  key: string
  expiresAt: number
  resolve: (seen: boolean) => void
  reject: (e: unknown) => void
}

/**
 * A jti replay store on the shared database (RFC 9449 §11.1, RFC 7523 §3 item 7): `seen(key, exp)`
 * returns true if the key was already recorded and unexpired, otherwise records it. The insert is the
 * check, so two replicas cannot both accept the same proof.
 *
 * The claims of one event-loop turn are written by one multi-row upsert (one statement, one commit)
 * instead of one commit each; the rows it inserted or took over from an expired record are the fresh
 * keys. A key claimed twice in the same turn is fresh for its first claim only.
 */
export function createReplayStore(db: Db, now: () => number): ReplayStore {
  let pending: Claim[] = []

  async function write(batch: Claim[]): Promise<void> {
    const t = now()
    // The first claim of a key decides its expiry; a second claim in this batch is a replay.
    const rows = new Map<string, number>()
    for (const claim of batch) if (!rows.has(claim.key)) rows.set(claim.key, claim.expiresAt)
    try {
      const fresh = await db
        .insertInto('replay_cache')
        .values([...rows].map(([key, expires_at]) => ({ key, expires_at })))
        .onConflict((oc) =>
          oc
            .column('key')
            .doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') }))
            .where('replay_cache.expires_at', '<=', t),
        )
        .returning('key')
        .execute()
      const unclaimed = new Set(fresh.map((r) => r.key))
      for (const claim of batch) claim.resolve(!unclaimed.delete(claim.key))
    } catch (e) {
      for (const claim of batch) claim.reject(e)
    }
  }

  function flush(): void {
    const claims = pending
    pending = []
    for (let i = 0; i < claims.length; i += BATCH_ROWS) void write(claims.slice(i, i + BATCH_ROWS))
  }

  return {
    seen(key, expiresAt) {
      return new Promise<boolean>((resolve, reject) => {
        if (pending.length === 0) setImmediate(flush)
        pending.push({ key, expiresAt, resolve, reject })
      })
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
