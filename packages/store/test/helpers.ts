import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { inject } from 'vitest'
import { type Db, openDatabase } from '../src/db.ts'
import { createDatabase } from '../src/pg-cluster.ts'
import type { StoredPlaceholder } from '../src/placeholder-index.ts'

export const cid = (bytes: string | Uint8Array) => createHash('sha256').update(bytes).digest('base64url')

/** The dialect of this run: the `postgres` vitest project sets FEDERIZER_TEST_STORE (vitest.config.ts). */
export const testDialect = process.env.FEDERIZER_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite'

/**
 * A fresh, migrated database for one test and a temporary folder: a SQLite file in that folder, or a new
 * database in the run's private PostgreSQL cluster. `location` opens it again (another connection).
 */
export async function tempDb(): Promise<{
  db: Db
  dir: string
  location: string
  cleanup: () => Promise<void>
}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fz-store-'))
  const location =
    testDialect === 'postgres'
      ? await createDatabase(inject('postgresAdminUrl'), `t_${randomBytes(8).toString('hex')}`)
      : path.join(dir, 'mail.sqlite')
  const db = await openDatabase(location, { migrate: true })
  return {
    db,
    dir,
    location,
    async cleanup() {
      await db.destroy()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

const leaf = (contentId: string, size: number, mediaType: string, disposition: string) => ({
  headers: [
    ['Content-Disposition', disposition],
    ['Content-ID', `<${contentId}>`],
    [
      'Content-Type',
      [
        `message/external-body; access-type=x-content-addressed-uri; hash-algorithm=sha256; size=${size}`,
        mediaType,
      ],
    ],
  ] as StoredPlaceholder['parts'][number]['headers'],
})

/** A Placeholder Message in the JSON model, built by hand (the store does not depend on the composer). */
export function placeholder(input: {
  from: string
  to: string[]
  cc?: string[]
  bcc?: string[]
  subject: string
  messageId: string
  threadId?: string
  inReplyTo?: string
  date?: string
  text?: string
  attachment?: { bytes: string; filename: string }
}): StoredPlaceholder {
  const headers: StoredPlaceholder['parts'][number]['headers'] = [
    ['From', input.from],
    ['Subject', input.subject],
    ['To', input.to.join(', ')],
  ]
  if (input.cc?.length) headers.push(['Cc', input.cc.join(', ')])
  if (input.bcc?.length) headers.push(['Bcc', input.bcc.join(', ')])
  headers.push(['Message-ID', input.messageId])
  if (input.threadId) headers.push(['X-Thread-ID', input.threadId])
  if (input.inReplyTo) headers.push(['In-Reply-To', input.inReplyTo])
  if (input.date) headers.push(['Date', input.date])
  headers.push(['Content-Type', 'multipart/mixed'])
  const parts: StoredPlaceholder['parts'] = []
  if (input.text !== undefined) {
    parts.push({
      headers: [['Content-Type', 'multipart/alternative']],
      parts: [leaf(cid(input.text), Buffer.byteLength(input.text), 'text/plain; charset=UTF-8', 'inline')],
    })
  }
  if (input.attachment) {
    parts.push(
      leaf(
        cid(input.attachment.bytes),
        Buffer.byteLength(input.attachment.bytes),
        'application/pdf',
        `attachment; filename="${input.attachment.filename}"`,
      ),
    )
  }
  return { envelope: [{ headers }], parts }
}
