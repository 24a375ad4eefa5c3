import {
  type Dirent,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * Rules of the house that hold for every workspace (issue 11, "Done when"): the repository stands on its
 * own (no comment cites a document outside it), and every source file stays under 400 lines.
 */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
// Spelled in two halves so this file does not match its own search.
const OUTSIDE_DOC = ['DES', 'IGN'].join('')
const MAX_LINES = 400

function files(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = []
  let entries: Dirent[]
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return [] // e.g. a workspace without src/
  }
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...files(full, keep))
    else if (keep(entry.name)) out.push(full)
  }
  return out
}

const workspaces = (root: string) =>
  ['apps', 'packages'].flatMap((top) =>
    readdirSync(path.join(root, top), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(root, top, d.name)),
  )

/** TypeScript files of apps/* and packages/* that name the outside document. */
function citingOutsideDoc(root: string): string[] {
  return workspaces(root)
    .flatMap((w) => files(w, (name) => /\.tsx?$/.test(name)))
    .filter((file) => readFileSync(file, 'utf8').includes(OUTSIDE_DOC))
    .map((file) => path.relative(root, file))
}

/** Files under apps/∗/src and packages/∗/src of MAX_LINES lines or more. */
function longFiles(root: string): Array<{ file: string; lines: number }> {
  return workspaces(root)
    .flatMap((w) => files(path.join(w, 'src'), () => true))
    .map((file) => ({
      file: path.relative(root, file),
      lines: readFileSync(file, 'utf8').split('\n').length - 1,
    }))
    .filter((f) => f.lines >= MAX_LINES)
}

describe('the house rules', () => {
  it('no TypeScript file cites the design document outside the repository (docs/protocol.md and RFCs do)', () => {
    expect(citingOutsideDoc(repo)).toEqual([])
  })

  it(`every file under apps/*/src and packages/*/src is under ${MAX_LINES} lines`, () => {
    expect(longFiles(repo)).toEqual([])
  })

  it('the checks find a citing file and a long file when there is one', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'fz-house-'))
    try {
      mkdirSync(path.join(root, 'apps/x/src'), { recursive: true })
      mkdirSync(path.join(root, 'packages/y/test'), { recursive: true })
      writeFileSync(path.join(root, 'apps/x/src/long.ts'), 'const a = 1\n'.repeat(MAX_LINES))
      writeFileSync(path.join(root, 'apps/x/src/short.ts'), 'const a = 1\n'.repeat(MAX_LINES - 1))
      writeFileSync(path.join(root, 'packages/y/test/cites.test.ts'), `// see ${OUTSIDE_DOC} §4\n`)
      expect(longFiles(root)).toEqual([{ file: 'apps/x/src/long.ts', lines: MAX_LINES }])
      expect(citingOutsideDoc(root)).toEqual(['packages/y/test/cites.test.ts'])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
