// Preload for profiling the processes the benchmark starts (NODE_OPTIONS refuses --cpu-prof):
//   BENCH_PROF_DIR=/tmp/prof NODE_OPTIONS="--import ./bench/cpu-profile.mjs" npm run bench
// Each process writes <dir>/<title>-<pid>.cpuprofile when it exits; read it with bench/profile-summary.ts.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import path from 'node:path'

const dir = process.env.BENCH_PROF_DIR
if (dir) {
  const session = new Session()
  session.connect()
  session.post('Profiler.enable')
  session.post('Profiler.setSamplingInterval', { interval: 1000 })
  session.post('Profiler.start')
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err) return
      const name = path.basename(process.argv[2] ?? process.argv[1] ?? 'node').replace(/\W+/g, '_')
      writeFileSync(path.join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile))
    })
  })
}
