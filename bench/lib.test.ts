import { stat as fileStat, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { fileCreateCpuMs } from './file-create.ts'
import { makeFile, mapLimit, percentile, rawLoopbackCopy, stat, waitFor } from './lib.ts'
import { measurePeaks, processCpuMs, processMemory } from './proc.ts'
import { renderMarkdown, statRow } from './report.ts'
import { initialScripts } from './webmail.ts'

describe('bench helpers', () => {
  it('takes the median, min and max of odd and even counts', () => {
    expect(stat([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, runs: 3 })
    expect(stat([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, runs: 4 })
  })

  it('picks nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(percentile(values, 50)).toBe(51)
    expect(percentile(values, 95)).toBe(96)
    expect(percentile(values, 99)).toBe(100)
    expect(percentile([7], 99)).toBe(7)
  })

  it('keeps order and the concurrency bound in mapLimit', async () => {
    let inFlight = 0
    let peak = 0
    const out = await mapLimit([5, 4, 3, 2, 1], 2, async (n) => {
      inFlight++
      peak = Math.max(peak, inFlight)
      await new Promise((r) => setTimeout(r, n))
      inFlight--
      return n * 10
    })
    expect(out).toEqual([50, 40, 30, 20, 10])
    expect(peak).toBe(2)
  })

  it('waitFor returns the first truthy value and names what it waited for on timeout', async () => {
    let n = 0
    expect(await waitFor(async () => ++n >= 3 && n, 'three', 1000, 1)).toBe(3)
    await expect(waitFor(async () => false, 'never', 20, 5)).rejects.toThrow(/waiting for never/)
  })

  it('makes a file of the exact size and copies it over loopback, leaving no copy behind', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fz-bench-test-'))
    try {
      const file = path.join(dir, 'in.bin')
      await makeFile(file, 5 * 2 ** 20 + 3)
      expect((await fileStat(file)).size).toBe(5 * 2 ** 20 + 3)
      const mbps = await rawLoopbackCopy(file, path.join(dir, 'out.bin'), 5 * 2 ** 20 + 3)
      expect(mbps).toBeGreaterThan(0)
      await expect(fileStat(path.join(dir, 'out.bin'))).rejects.toMatchObject({ code: 'ENOENT' })
      // The store-like copy (SHA-256, fsync, rename) leaves neither the copy nor its temporary file.
      expect(
        await rawLoopbackCopy(file, path.join(dir, 'out.bin'), 5 * 2 ** 20 + 3, { hash: true }),
      ).toBeGreaterThan(0)
      expect(await readdir(dir)).toEqual(['in.bin'])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('reads this process’s memory and CPU time from /proc and sees a step’s growth', async () => {
    const mem = await processMemory()
    expect(mem.rssMiB).toBeGreaterThan(10)
    expect(mem.peakMiB).toBeGreaterThanOrEqual(mem.rssMiB - 1)
    const before = await processCpuMs()
    let keep: Buffer | undefined
    const { memory } = await measurePeaks({ me: process.pid }, async () => {
      keep = Buffer.alloc(64 * 2 ** 20, 1)
      const until = performance.now() + 50
      while (performance.now() < until) keep[0] = (keep[0]! + 1) & 0xff
    })
    expect(keep?.length).toBe(64 * 2 ** 20)
    expect(memory.me!.peakMiB - memory.me!.baseMiB).toBeGreaterThan(50)
    expect(memory.me!.cpuMs).toBeGreaterThanOrEqual(0)
    expect(await processCpuMs()).toBeGreaterThanOrEqual(before)
  })

  it('finds the scripts index.html loads first, not remote ones', () => {
    const html = `<head><script type="module" crossorigin src="/assets/index-abc.js"></script>
      <link rel="modulepreload" crossorigin href="/assets/vendor-def.js">
      <link rel="stylesheet" href="/assets/index.css">
      <script src="https://cdn.example/x.js"></script>
      <script id="sw" src="/registerSW.js" defer></script></head>`
    expect(initialScripts(html)).toEqual(['/assets/index-abc.js', '/registerSW.js', '/assets/vendor-def.js'])
  })

  it('marks a missed target in the table and lists it in the summary', () => {
    const machine = {
      date: 'd',
      cpu: 'c',
      cores: 2,
      ramGiB: 24,
      node: 'v20',
      commit: 'abc',
      quick: false,
      dataFolder: { root: '/tmp', createCpuMs: 0.0712 },
    }
    const md = renderMarkdown(machine, [
      {
        title: 'S',
        method: 'm',
        rows: [
          statRow('fast', stat([1, 2, 3]), 'x/s', { target: '≥ 1', ok: true }),
          { figure: 'slow | piped', value: '1', target: '≥ 2', ok: false },
        ],
      },
    ])
    expect(md).toContain('| fast | 2.0 x/s | 1.0 – 3.0 | 3 | ≥ 1 | met |')
    expect(md).toContain('| slow \\| piped | 1 |')
    expect(md).toContain('**MISSED**')
    expect(md).toContain('- Data folders: under /tmp (TMPDIR); creating a file there cost 0.071 ms of CPU')
    expect(md).toContain('Missed targets (1):\n- S: slow | piped')
  })

  it('times a file creation in the data folder and leaves no folder behind', async () => {
    const before = (await readdir(tmpdir())).filter((n) => n.startsWith('fz-bench-create-'))
    const ms = fileCreateCpuMs()
    expect(ms).toBeGreaterThan(0)
    expect(ms).toBeLessThan(100)
    expect((await readdir(tmpdir())).filter((n) => n.startsWith('fz-bench-create-'))).toEqual(before)
  })
})
