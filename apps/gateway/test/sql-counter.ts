import Database from 'better-sqlite3'

/** What one database file executed: statements, and commits (explicit COMMITs plus writes outside a transaction). */
export interface SqlCount {
  statements: number
  commits: number
  bySql: Map<string, number>
}

/** The counter sees SQLite only: under `test:pg` the domains' databases are PostgreSQL. */
export const countsSql = process.env.FEDERIZER_TEST_STORE !== 'postgres'

const counts = new Map<string, SqlCount>()
let installed = false

/**
 * Counts every statement better-sqlite3 runs, per database file (the real SQLite of the in-process
 * devnet; nothing is replaced). Installed once per test file, before the network opens.
 */
export function installSqlCounter(): void {
  if (installed) return
  installed = true
  const probe = new Database(':memory:')
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, unknown>
  probe.close()
  for (const method of ['run', 'get', 'all', 'iterate'] as const) {
    const original = proto[method] as (...args: unknown[]) => unknown
    proto[method] = function (
      this: { source: string; database: Database.Database; reader: boolean },
      ...args: unknown[]
    ) {
      const file = this.database.name
      let c = counts.get(file)
      if (!c) {
        c = { statements: 0, commits: 0, bySql: new Map() }
        counts.set(file, c)
      }
      const sql = this.source.trim()
      const word = sql.slice(0, 6).toLowerCase()
      if (word !== 'begin' && word !== 'commit' && !word.startsWith('rollba')) c.statements++
      if (word === 'commit' || (!this.reader && !this.database.inTransaction && word !== 'begin')) c.commits++
      c.bySql.set(sql, (c.bySql.get(sql) ?? 0) + 1)
      return original.apply(this, args)
    }
  }
}

/** The counts of the file whose path ends with `suffix`, reset to zero. */
export function takeSqlCount(suffix: string): SqlCount {
  const out: SqlCount = { statements: 0, commits: 0, bySql: new Map() }
  for (const [file, c] of counts) {
    if (!file.endsWith(suffix)) continue
    out.statements += c.statements
    out.commits += c.commits
    for (const [k, v] of c.bySql) out.bySql.set(k, (out.bySql.get(k) ?? 0) + v)
    counts.delete(file)
  }
  return out
}

/** File names seen so far (to find a domain's database). */
export const sqlFiles = () => [...counts.keys()]
