import { randomBytes } from 'node:crypto'
import type { Db } from './db.ts'

/**
 * The shared random key named `name` (32 bytes), made by whichever replica asks first: an insert that
 * does nothing when another replica's key is already there, then a read, so every replica gets the same
 * bytes. Used for stateless values any replica must recognise (the DPoP nonce key, as/dpop-nonce.ts).
 */
export async function sharedSecret(db: Db, name: string, now: number): Promise<Buffer> {
  await db
    .insertInto('node_secrets')
    .values({ name, secret: randomBytes(32).toString('base64url'), created_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute()
  const row = await db
    .selectFrom('node_secrets')
    .select('secret')
    .where('name', '=', name)
    .executeTakeFirstOrThrow()
  return Buffer.from(row.secret, 'base64url')
}
