import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { freePort } from '@federizer/devnet'
import { type PostgresCluster, startPostgres } from '@federizer/store/pg-cluster'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const bin = path.resolve(import.meta.dirname, '..', 'bin', 'federizer.mjs')
const migrationsDir = path.resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'packages',
  'store',
  'src',
  'migrations',
)

let cluster: PostgresCluster
let dir: string
beforeAll(async () => {
  cluster = await startPostgres()
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fz-migrate-'))
})
afterAll(async () => {
  await cluster?.stop()
  await fs.rm(dir, { recursive: true, force: true })
})

function federizer(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    )
  })
}

async function configFile(name: string, store: unknown): Promise<string> {
  const file = path.join(dir, `${name}.json`)
  await fs.writeFile(
    file,
    JSON.stringify({
      domain: 'example.com',
      dataDir: path.join(dir, name),
      store,
      gatewayUrl: `http://127.0.0.1:${await freePort()}`,
      apiUrl: `http://127.0.0.1:${await freePort()}`,
      development: true,
      logLevel: 'silent',
    }),
  )
  return file
}

describe('federizer migrate', () => {
  it('on PostgreSQL: serve refuses a schema that is behind and says what to run; migrate applies it once', async () => {
    const file = await configFile('pg', {
      kind: 'postgres',
      url: await cluster.createDatabase('example_com'),
    })
    const refused = await federizer(['serve', '--config', file])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(
      /database schema is behind .*\d+ pending migrations: 001-mailbox.*Run `federizer migrate --config FILE`/,
    )
    const first = await federizer(['migrate', '--config', file])
    expect(first).toMatchObject({ code: 0 })
    // Every migration the store ships, in order: the listing comes from the migrations folder, so a new one needs no edit here.
    const shipped = (await fs.readdir(migrationsDir))
      .filter((name) => /^\d{3}-.*\.ts$/.test(name))
      .map((name) => name.replace(/\.ts$/, ''))
      .sort()
    expect(first.stdout).toBe(`example.com: applied ${shipped.length} migrations (${shipped.join(', ')})\n`)
    const again = await federizer(['migrate', '--config', file])
    expect(again.stdout).toBe('example.com: the database schema is up to date\n')
  }, 60_000)

  it('on SQLite: creates the data folder and the file, then has nothing left to do', async () => {
    const file = await configFile('lite', { kind: 'sqlite' })
    expect((await federizer(['migrate', '--config', file])).stdout).toMatch(/applied \d+ migrations/)
    await fs.stat(path.join(dir, 'lite', 'mail.sqlite'))
    expect((await federizer(['migrate', '--config', file])).stdout).toMatch(/up to date/)
  }, 30_000)

  it('names the bad field of a store that is not one of the two kinds', async () => {
    const file = await configFile('bad', { kind: 'postgres', url: 'localhost/example' })
    const r = await federizer(['migrate', '--config', file])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/store\.url: must be a postgres:\/\/user@host:port\/database URL/)
  }, 30_000)
})
