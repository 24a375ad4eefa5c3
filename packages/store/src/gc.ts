import { readdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Db } from './db.ts'
import type { ResourceStore } from './resources.ts'
import { isContentId } from './resources.ts'
import { removeUnreferencedSmallResources } from './small-resources.ts'
import { UPLOAD_GRACE_SECONDS } from './uploads.ts'

export interface GcReport {
  lapsedRefs: number
  uploadsRemoved: number
  filesRemoved: number
  /** Small resources the database kept (small-resources.ts) that nothing names any more. */
  smallRemoved: number
  tempFilesRemoved: number
}

/**
 * Collects garbage: lapsed upload and outbox references (outbox references last the queue lifetime plus
 * the fetch window), then resources no reference names and older than the grace period (so a file
 * being written, or fetched just before its message row commits, is never taken) — the small ones the
 * database keeps and the files — then stale temp files.
 */
export async function collectGarbage(
  db: Db,
  store: ResourceStore,
  options: { now: number; graceSeconds?: number },
): Promise<GcReport> {
  const grace = options.graceSeconds ?? UPLOAD_GRACE_SECONDS
  const lapsed = await db
    .deleteFrom('resource_refs')
    .where('owner_kind', 'in', ['upload', 'outbox'])
    .where('keep_until', '<', options.now)
    .executeTakeFirst()
  const uploads = await db
    .deleteFrom('uploads')
    .where('created_at', '<', options.now - grace)
    .executeTakeFirst()
  const report: GcReport = {
    lapsedRefs: Number(lapsed.numDeletedRows),
    uploadsRemoved: Number(uploads.numDeletedRows),
    filesRemoved: 0,
    smallRemoved: await removeUnreferencedSmallResources(db, options.now - grace),
    tempFilesRemoved: 0,
  }
  let shards: string[]
  try {
    shards = await readdir(store.dir)
  } catch {
    return report
  }
  const cutoffMs = (options.now - grace) * 1000
  for (const entry of shards) {
    const full = path.join(store.dir, entry)
    if (entry.startsWith('.tmp-')) {
      const s = await stat(full).catch(() => undefined)
      if (s && s.mtimeMs < cutoffMs) {
        await rm(full, { force: true })
        report.tempFilesRemoved++
      }
      continue
    }
    if (entry.length !== 2) continue
    const names = (await readdir(full).catch(() => [] as string[])).filter(isContentId)
    for (let i = 0; i < names.length; i += 500) {
      const chunk = names.slice(i, i + 500)
      const referenced = await db
        .selectFrom('resource_refs')
        .select('content_id')
        .distinct()
        .where('content_id', 'in', chunk)
        .execute()
      const keep = new Set(referenced.map((r) => r.content_id))
      for (const name of chunk) {
        if (keep.has(name)) continue
        const s = await store.stat(name)
        if (!s || s.mtimeMs >= cutoffMs) continue
        await store.remove(name)
        report.filesRemoved++
      }
    }
  }
  return report
}
