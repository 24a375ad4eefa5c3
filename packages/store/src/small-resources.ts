import { createHash } from 'node:crypto'
import type { Db } from './db.ts'
import { ContentMismatchError, ResourceTooLargeError } from './resource-errors.ts'

/**
 * The largest resource kept in the database rather than as a file (the default push limit of
 * docs/protocol.md §6, "Pushed resources"): bodies written by the api, the delivery and the SMTP bridge,
 * and resources the MTA fetched.
 */
export const SMALL_RESOURCE_MAX_BYTES = 64 * 1024

/** A small resource to keep: its Content-ID (checked against the bytes) and the bytes. */
export interface SmallResource {
  contentId: string
  bytes: Uint8Array
}

const contentIdOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64url')

/**
 * A body the caller holds whole, queued into `small` for the transaction that names it when it is at
 * most SMALL_RESOURCE_MAX_BYTES: its Content-ID and size. Undefined when it is larger, for the caller to
 * write as a file (`ResourceStore.write`).
 */
export function keepSmall(
  bytes: Uint8Array,
  small: SmallResource[],
): { contentId: string; size: number } | undefined {
  if (bytes.byteLength > SMALL_RESOURCE_MAX_BYTES) return undefined
  const contentId = contentIdOf(bytes)
  small.push({ contentId, bytes })
  return { contentId, size: bytes.byteLength }
}

/**
 * Reads a small resource whole from `source` (a fetched body), with the checks `ResourceStore.write`
 * makes while it writes: at most `maxBytes`, and bytes that hash to `expectedContentId`.
 * @throws ResourceTooLargeError, ContentMismatchError
 */
export async function readSmallSource(
  source: AsyncIterable<Uint8Array>,
  options: { maxBytes: number; expectedContentId: string },
): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of source) {
    size += chunk.byteLength
    if (size > options.maxBytes) throw new ResourceTooLargeError(options.maxBytes)
    chunks.push(Buffer.from(chunk))
  }
  const bytes = Buffer.concat(chunks, size)
  const actual = contentIdOf(bytes)
  if (actual !== options.expectedContentId) throw new ContentMismatchError(options.expectedContentId, actual)
  return bytes
}

/**
 * Keeps small resources in the caller's transaction, so they are durable with the row that names them
 * and never without it; a resource kept already has its time renewed (the collector's grace period).
 * @throws ContentMismatchError when a resource's bytes are not its Content-ID (nothing is written)
 */
export async function putSmallResources(trx: Db, resources: SmallResource[], now: number): Promise<void> {
  const rows = new Map<string, { content_id: string; bytes: Uint8Array; size: number; stored_at: number }>()
  for (const r of resources) {
    if (r.bytes.byteLength > SMALL_RESOURCE_MAX_BYTES)
      throw new RangeError(`a small resource is at most ${SMALL_RESOURCE_MAX_BYTES} bytes`)
    const actual = contentIdOf(r.bytes)
    if (actual !== r.contentId) throw new ContentMismatchError(r.contentId, actual)
    rows.set(r.contentId, {
      content_id: r.contentId,
      bytes: r.bytes,
      size: r.bytes.byteLength,
      stored_at: now,
    })
  }
  if (rows.size === 0) return
  await trx
    .insertInto('small_resources')
    .values([...rows.values()])
    .onConflict((oc) =>
      oc.column('content_id').doUpdateSet((eb) => ({ stored_at: eb.ref('excluded.stored_at') })),
    )
    .execute()
}

/** The bytes of a small resource, or undefined when the database keeps none under that Content-ID. */
export async function readSmallResource(db: Db, contentId: string): Promise<Buffer | undefined> {
  const row = await db
    .selectFrom('small_resources')
    .select('bytes')
    .where('content_id', '=', contentId)
    .executeTakeFirst()
  return row ? Buffer.from(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength) : undefined
}

/** The size and last write time (ms) of a small resource, without reading its bytes. */
export async function statSmallResource(
  db: Db,
  contentId: string,
): Promise<{ size: number; mtimeMs: number } | undefined> {
  const row = await db
    .selectFrom('small_resources')
    .select(['size', 'stored_at'])
    .where('content_id', '=', contentId)
    .executeTakeFirst()
  return row ? { size: row.size, mtimeMs: Number(row.stored_at) * 1000 } : undefined
}

/**
 * Deletes the small resources no reference names that were last written before `before` (epoch
 * seconds), as the collector deletes such files; returns how many.
 */
export async function removeUnreferencedSmallResources(db: Db, before: number): Promise<number> {
  const result = await db
    .deleteFrom('small_resources')
    .where('stored_at', '<', before)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('resource_refs')
            .select('resource_refs.content_id')
            .whereRef('resource_refs.content_id', '=', 'small_resources.content_id'),
        ),
      ),
    )
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Deletes one small resource (the collector's job; callers check references first). */
export async function removeSmallResource(db: Db, contentId: string): Promise<void> {
  await db.deleteFrom('small_resources').where('content_id', '=', contentId).execute()
}
