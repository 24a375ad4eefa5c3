import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { fmt } from './lib.ts'
import type { Row, Section } from './report.ts'

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url))
const WEB = path.join(REPO_ROOT, 'apps/web')
const TARGET_KB = 200

/** The scripts index.html loads before anything else: module and classic script src, modulepreload links. */
export function initialScripts(html: string): string[] {
  const out = new Set<string>()
  for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"[^>]*>/g)) out.add(m[1]!)
  for (const m of html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*>/g)) {
    const href = /\bhref="([^"]+)"/.exec(m[0])?.[1]
    if (href) out.add(href)
  }
  return [...out].filter((src) => !/^https?:/.test(src))
}

const gzKB = (bytes: Buffer) => gzipSync(bytes, { level: 9 }).length / 1000

/** Section 5: the webmail's initial JavaScript from a fresh production build, gzipped. */
export async function benchWebmail(options: { build: boolean }): Promise<Section> {
  let buildNote = 'measured the existing apps/web/dist (BENCH_SKIP_WEB_BUILD=1)'
  if (options.build) {
    try {
      await promisify(execFile)('npm', ['run', 'build', '-w', '@federizer/web'], {
        cwd: REPO_ROOT,
        maxBuffer: 64 * 2 ** 20,
      })
      buildNote = 'built now with `npm run build -w @federizer/web`'
    } catch (e) {
      buildNote = `the build failed, so the existing apps/web/dist was measured: ${String(e).slice(0, 200)}`
    }
  }
  const dist = path.join(WEB, 'dist')
  const html = await readFile(path.join(dist, 'index.html'), 'utf8')
  const initial = initialScripts(html)
  if (initial.length === 0) throw new Error('apps/web/dist/index.html names no script')
  let initialKB = 0
  let initialRaw = 0
  const parts: string[] = []
  for (const src of initial) {
    const bytes = await readFile(path.join(dist, src.replace(/^\//, '')))
    const kb = gzKB(bytes)
    initialKB += kb
    initialRaw += bytes.length
    parts.push(`${path.basename(src)} ${fmt(kb, 1)} KB`)
  }
  const assets = path.join(dist, 'assets')
  let allKB = 0
  let chunks = 0
  for (const f of await readdir(assets)) {
    if (!f.endsWith('.js')) continue
    allKB += gzKB(await readFile(path.join(assets, f)))
    chunks++
  }
  const rows: Row[] = [
    {
      figure: 'initial JavaScript (index.html scripts + modulepreload), gzip -9',
      value: `${fmt(initialKB, 1)} KB`,
      target: `< ${TARGET_KB} KB`,
      ok: initialKB < TARGET_KB,
      note: `${parts.join(', ')}; ${fmt(initialRaw / 1000, 0)} KB before gzip`,
    },
    {
      figure: `every JS chunk the app can load (${chunks} in dist/assets), gzip -9`,
      value: `${fmt(allKB, 1)} KB`,
      note: 'lazy chunks load after sign-in or on first use',
    },
  ]
  return {
    title: '5. Webmail',
    method: `apps/web/dist ${buildNote}; sizes in KB (1,000 bytes) gzipped at level 9, as a server would send them.`,
    rows,
  }
}
