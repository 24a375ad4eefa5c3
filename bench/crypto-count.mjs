// Preload that counts WebCrypto calls (what jose uses) per process and the time until each settles:
//   BENCH_CRYPTO_DIR=/tmp/cc NODE_OPTIONS="--import ./bench/crypto-count.mjs" npm run bench
// Each process writes <dir>/<title>-<pid>.json at exit: { op: { calls, ms } } (ms = summed latency).
import { writeFileSync } from 'node:fs'
import path from 'node:path'

const dir = process.env.BENCH_CRYPTO_DIR
if (dir) {
  const counts = {}
  const subtle = globalThis.crypto.subtle
  for (const op of ['sign', 'verify', 'importKey', 'exportKey', 'generateKey', 'digest']) {
    const original = subtle[op].bind(subtle)
    subtle[op] = async (...args) => {
      const algo = args[0]
      const name = `${op} ${typeof algo === 'string' ? (op === 'importKey' || op === 'exportKey' ? (args[1]?.name ?? algo) : algo) : (algo?.name ?? '?')}${algo?.namedCurve ? ` ${algo.namedCurve}` : ''}`
      const t = performance.now()
      try {
        return await original(...args)
      } finally {
        const c = counts[name] ?? { calls: 0, ms: 0 }
        counts[name] = c
        c.calls++
        c.ms += performance.now() - t
      }
    }
  }
  process.on('exit', () => {
    const title = path.basename(process.argv[2] ?? process.argv[1] ?? 'node').replace(/\W+/g, '_')
    writeFileSync(path.join(dir, `${title}-${process.pid}.json`), JSON.stringify(counts, null, 1))
  })
}
