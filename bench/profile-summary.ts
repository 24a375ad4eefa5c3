/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): the functions with the most self time, and the
 * files with the most self time. `node --import tsx bench/profile-summary.ts <file.cpuprofile> [top=25]`
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

/** Self time in ms per function and per file of one profile. */
export function summarise(profile: Profile) {
  const selfMs = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!
    selfMs.set(id, (selfMs.get(id) ?? 0) + (deltas[i] ?? 0) / 1000)
  }
  const byFunction = new Map<string, number>()
  const byFile = new Map<string, number>()
  for (const node of profile.nodes) {
    const ms = selfMs.get(node.id) ?? 0
    if (!ms) continue
    const url = node.callFrame.url.replace(/^file:\/\//, '').replace(/.*\/work\/main\//, '')
    const short = url.replace(/.*node_modules\//, 'nm:')
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${short}:${node.callFrame.lineNumber + 1}`
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms)
    const file = short.startsWith('nm:')
      ? short
          .split('/')
          .slice(0, short.startsWith('nm:@') ? 2 : 1)
          .join('/')
      : short || '(native)'
    byFile.set(file, (byFile.get(file) ?? 0) + ms)
  }
  const total = (profile.endTime - profile.startTime) / 1000
  const sort = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1])
  return { totalMs: total, byFunction: sort(byFunction), byFile: sort(byFile) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2]
  if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]')
  const top = Number(process.argv[3] ?? 25)
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile)
  const line = ([name, ms]: [string, number]) =>
    `${ms.toFixed(0).padStart(8)} ms ${((100 * ms) / s.totalMs).toFixed(1).padStart(5)} %  ${name}`
  console.log(`wall ${s.totalMs.toFixed(0)} ms\n-- by function (self)`)
  for (const e of s.byFunction.slice(0, top)) console.log(line(e))
  console.log('-- by package / file (self)')
  for (const e of s.byFile.slice(0, top)) console.log(line(e))
}
