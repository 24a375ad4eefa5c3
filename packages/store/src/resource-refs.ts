import type { Db } from './db.ts'
import type { ResourceOwnerKind } from './schema-mailbox.ts'

/**
 * Records that `owner` keeps each of `contentIds` alive for `account`. `readable` says whether the
 * reference also lets the account read them: an upload or the account's own draft does; a received copy
 * does only once its own fetch completed (`grantFetchedResource`); an outbox row never does.
 * Deduplication of the bytes never grants access (docs/protocol.md §6, "Who may read a resource").
 */
export async function addResourceRefs(
  db: Db,
  ref: {
    account: string
    ownerKind: ResourceOwnerKind
    ownerId: string
    contentIds: string[]
    readable: boolean
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
        readable: ref.readable ? 1 : 0,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute()
}

/** The fetch of `contentId` for the received copy `messageRowId` completed and verified: its owner may read it. */
export async function grantFetchedResource(
  db: Db,
  input: { messageRowId: string; contentId: string },
): Promise<void> {
  await db
    .updateTable('resource_refs')
    .set({ readable: 1 })
    .where('owner_kind', '=', 'message')
    .where('owner_id', '=', input.messageRowId)
    .where('content_id', '=', input.contentId)
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
 * True when `account` may read `contentId`: it uploaded it, one of its drafts or sent messages names it,
 * or its own received copy fetched it. Lapsed upload references count until the collector removes them.
 */
export async function accountHasResource(db: Db, account: string, contentId: string): Promise<boolean> {
  const row = await db
    .selectFrom('resource_refs')
    .select('content_id')
    .where('account', '=', account)
    .where('content_id', '=', contentId)
    .where('readable', '=', 1)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/** Which of `contentIds` the account may read (as `accountHasResource`). */
export async function accountResources(db: Db, account: string, contentIds: string[]): Promise<Set<string>> {
  if (contentIds.length === 0) return new Set()
  const rows = await db
    .selectFrom('resource_refs')
    .select('content_id')
    .distinct()
    .where('account', '=', account)
    .where('content_id', 'in', [...new Set(contentIds)])
    .where('readable', '=', 1)
    .execute()
  return new Set(rows.map((r) => r.content_id))
}

/** Which of `contentIds` one of the account's own references names, readable or not (e.g. still arriving). */
export async function accountReferencedResources(
  db: Db,
  account: string,
  contentIds: string[],
): Promise<Set<string>> {
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
