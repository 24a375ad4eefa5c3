import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/**
 * CPU time (user + system, ms) to create one empty file in a fresh folder under `tmpdir()`, where every
 * section keeps its data and Postfix its queue: the median of 5 rounds of 200 creations. Every resource,
 * every queue file of Postfix and every sink file is one creation, and on a crowded ext4 its inode
 * allocation alone was measured at 0.8 ms of system time in /tmp against 0.03 ms in another folder of the
 * same filesystem (docs/benchmarks.md, "The data folder"), so results.md names what it cost in this run.
 */
export function fileCreateCpuMs(): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'fz-bench-create-'))
  try {
    const rounds: number[] = []
    for (let round = 0; round < 5; round++) {
      const start = process.cpuUsage()
      for (let i = 0; i < 200; i++) closeSync(openSync(path.join(dir, `${round}-${i}`), 'wx', 0o600))
      const used = process.cpuUsage(start)
      rounds.push((used.user + used.system) / 1000 / 200)
    }
    return rounds.sort((a, b) => a - b)[2] as number
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
