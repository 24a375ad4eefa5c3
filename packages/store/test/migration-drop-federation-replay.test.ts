import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import { up } from '../src/migrations/015-drop-federation-replay.ts'
import { tempDb } from './helpers.ts'

let db: Db
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ db, cleanup } = await tempDb())
})
afterEach(async () => cleanup())

const tableNames = async (d: Db) => (await d.introspection.getTables()).map((t) => t.name)

describe('migration 015: the one replay store (issue 11 item 3)', () => {
  it('a migrated database has replay_cache and no federation_replay', async () => {
    const tables = await tableNames(db)
    expect(tables).toContain('replay_cache')
    expect(tables).not.toContain('federation_replay')
  })

  it('drops federation_replay with its rows and index, as migration 003 made it', async () => {
    await sql`CREATE TABLE federation_replay (key text PRIMARY KEY, expires_at bigint NOT NULL)`.execute(db)
    await sql`CREATE INDEX federation_replay_expiry ON federation_replay (expires_at)`.execute(db)
    await sql`INSERT INTO federation_replay (key, expires_at) VALUES ('jti-1', 100)`.execute(db)
    expect(await tableNames(db)).toContain('federation_replay')
    await up(db)
    expect(await tableNames(db)).not.toContain('federation_replay')
    // The index went with the table: making both again does not collide with a leftover.
    await sql`CREATE TABLE federation_replay (key text PRIMARY KEY, expires_at bigint NOT NULL)`.execute(db)
    await sql`CREATE INDEX federation_replay_expiry ON federation_replay (expires_at)`.execute(db)
  })
})
