import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

const run = promisify(execFile)

/**
 * A PRIVATE PostgreSQL cluster for tests, the demo and the benchmarks: `initdb` in a temporary folder,
 * loopback only on a free port (and a socket in its own folder), stopped and removed by `stop`. The
 * system's cluster is never touched. As root (the test machine) the server runs as the `postgres` user,
 * which PostgreSQL requires.
 */
export interface PostgresCluster {
  port: number
  dir: string
  /** `postgres://` URL of database `name` in this cluster. */
  url(name: string): string
  /** Creates an empty database (name: lower case, digits, `_`) and returns its URL. */
  createDatabase(name: string): Promise<string>
  /** Stops the server, keeping its data (for outage tests); `start` brings it back on the same port. */
  pause(): Promise<void>
  start(): Promise<void>
  /** Stops the server and removes its folder. */
  stop(): Promise<void>
}

/** The newest installed Debian PostgreSQL's bin folder, or undefined (the test command installs it). */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined
}

export const postgresInstalled = (): boolean => postgresBinDir() !== undefined

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

export interface StartPostgresOptions {
  port?: number
  /**
   * Commit as a production server does: `fsync`, `synchronous_commit` and `full_page_writes` on (the
   * demo and the benchmarks, so a 2xx there means what it means in production). Without it the cluster
   * is a test cluster: a commit returns before its WAL is on disk and nothing is fsynced — safe against a
   * killed application process (the server survives it), not against a power loss, and much faster.
   */
  durable?: boolean
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresCluster> {
  const bin = postgresBinDir()
  if (!bin) throw new Error('PostgreSQL is not installed: run `apt-get install postgresql` (npm test does)')
  const dir = await mkdtemp(path.join(tmpdir(), 'fz-pg-'))
  const data = path.join(dir, 'data')
  const asRoot = process.getuid?.() === 0
  const as = async (cmd: string, args: string[]) => {
    const file = path.join(bin, cmd)
    return asRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args)
  }
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    await chown(dir, Number(stdout), Number(gid))
  }
  const port = options.port ?? (await freePort())
  // Trust on loopback only: the cluster lives for one test run and listens on 127.0.0.1 alone.
  await as('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
  ])
  const conf = path.join(data, 'postgresql.conf')
  await writeFile(
    conf,
    `${await readFile(conf, 'utf8')}
# Private cluster (packages/store/src/pg-cluster.ts)
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${dir}'
max_connections = 300
${options.durable ? '' : 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n'}shared_buffers = 64MB
log_min_messages = warning
`,
  )
  const log = path.join(dir, 'server.log')
  const start = async () => {
    try {
      await as('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '30', 'start'])
    } catch (e) {
      const text = await readFile(log, 'utf8').catch(() => '')
      throw new Error(`the private PostgreSQL cluster did not start: ${(e as Error).message}\n${text}`)
    }
  }
  const pause = async () => {
    await as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined)
  }
  await start()
  const url = (name: string) => `postgres://postgres@127.0.0.1:${port}/${name}`
  return {
    port,
    dir,
    url,
    createDatabase: (name) => createDatabase(url('postgres'), name),
    pause,
    start,
    async stop() {
      await pause()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Creates an empty database `name` (lower case, digits, `_`) through the maintenance database at
 * `adminUrl` and returns the new database's URL. Tests create one per test file (or per test).
 */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad database name ${name}`)
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${name}`)
  } finally {
    await client.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}
