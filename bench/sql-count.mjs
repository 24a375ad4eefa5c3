// Preload that counts the SQLite statements each process runs, and the time they take (fsync included):
//   BENCH_SQL_DIR=/tmp/sql NODE_OPTIONS="--import ./bench/sql-count.mjs" npm run bench
// Each process writes <dir>/<title>-<pid>.json at exit: { sql: { calls, ms } }, the most-run first.
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const dir = process.env.BENCH_SQL_DIR
if (dir) {
  const Database = createRequire(import.meta.url)('better-sqlite3')
  const probe = new Database(':memory:')
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1'))
  probe.close()
  const counts = new Map()
  for (const op of ['run', 'all', 'get', 'iterate']) {
    const original = proto[op]
    proto[op] = function (...args) {
      const t = performance.now()
      try {
        return original.apply(this, args)
      } finally {
        const key = this.source.replace(/\s+/g, ' ').slice(0, 160)
        const c = counts.get(key) ?? { calls: 0, ms: 0 }
        counts.set(key, c)
        c.calls++
        c.ms += performance.now() - t
      }
    }
  }
  process.on('exit', () => {
    const title = path.basename(process.argv[2] ?? process.argv[1] ?? 'node').replace(/\W+/g, '_')
    const sorted = Object.fromEntries([...counts].sort((a, b) => b[1].calls - a[1].calls))
    writeFileSync(path.join(dir, `${title}-${process.pid}.json`), JSON.stringify(sorted, null, 1))
  })
}
