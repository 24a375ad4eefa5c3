import type { Db } from './db.ts'
import { newId } from './ids.ts'
import { addResourceRefs } from './resource-refs.ts'
import type { UploadRow } from './schema-mailbox.ts'

/** An upload not yet named by a saved draft or message is kept this long (then collected). */
export const UPLOAD_GRACE_SECONDS = 24 * 3600

/** Records that `account` uploaded a resource; it may read it during the grace period. */
export async function recordUpload(
  db: Db,
  input: {
    account: string
    contentId: string
    size: number
    mediaType: string
    filename?: string
    now: number
  },
): Promise<{ id: string }> {
  const id = newId('up')
  await db
    .insertInto('uploads')
    .values({
      id,
      account: input.account,
      content_id: input.contentId,
      size: input.size,
      media_type: input.mediaType,
      filename: input.filename ?? null,
      created_at: input.now,
    })
    .execute()
  await addResourceRefs(db, {
    account: input.account,
    ownerKind: 'upload',
    ownerId: id,
    contentIds: [input.contentId],
    readable: true,
    keepUntil: input.now + UPLOAD_GRACE_SECONDS,
  })
  return { id }
}

export async function findUpload(db: Db, account: string, contentId: string): Promise<UploadRow | undefined> {
  return db
    .selectFrom('uploads')
    .selectAll()
    .where('account', '=', account)
    .where('content_id', '=', contentId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst()
}
