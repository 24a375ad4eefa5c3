import type { Db } from './db.ts'
import type { ResourceOwnerKind } from './schema-mailbox.ts'

/** Records that `owner` keeps each of `contentIds` alive and readable by `account`. */
export async function addResourceRefs(
  db: Db,
  ref: {
    account: string
    ownerKind: ResourceOwnerKind
    ownerId: string
    contentIds: string[]
    keepUntil?: number
  },
): Promise<void> {
  const unique = [...new Set(ref.contentIds)]
  if (unique.length === 0) return
  await db
    .insertInto('resource_refs')
    .values(
      unique.map((content_id) => ({
        account: ref.account,
        content_id,
        owner_kind: ref.ownerKind,
        owner_id: ref.ownerId,
        keep_until: ref.keepUntil ?? null,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute()
}

export async function removeResourceRefs(
  db: Db,
  ownerKind: ResourceOwnerKind,
  ownerId: string,
): Promise<void> {
  await db
    .deleteFrom('resource_refs')
    .where('owner_kind', '=', ownerKind)
    .where('owner_id', '=', ownerId)
    .execute()
}

/**
 * True when `account` may read `contentId`: one of its own messages, uploads or queued sends names it.
 * Lapsed upload references count until the collector removes them.
 */
export async function accountHasResource(db: Db, account: string, contentId: string): Promise<boolean> {
  const row = await db
    .selectFrom('resource_refs')
    .select('content_id')
    .where('account', '=', account)
    .where('content_id', '=', contentId)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/** Which of `contentIds` the account may read. */
export async function accountResources(db: Db, account: string, contentIds: string[]): Promise<Set<string>> {
  if (contentIds.length === 0) return new Set()
  const rows = await db
    .selectFrom('resource_refs')
    .select('content_id')
    .distinct()
    .where('account', '=', account)
    .where('content_id', 'in', [...new Set(contentIds)])
    .execute()
  return new Set(rows.map((r) => r.content_id))
}
