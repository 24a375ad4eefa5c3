import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The house rule "the store owns its SQL" (issue 11 item 3): outside `packages/store`, no source file
 * builds a kysely query or a `sql` template, and none `JSON.parse`s a stored column itself; both go
 * through store functions taking `db` first (stored-values.ts maps JSON columns to typed values).
 */
const repo = path.resolve(import.meta.dirname, '../../..')
const roots = [
  ...readdirSync(path.join(repo, 'apps')).map((app) => `apps/${app}/src`),
  'packages/domain/src',
  'packages/node/src',
  'packages/protocol/src',
]

/**
 * Files whose queries are being moved into the store this session, each with who moves it. The list only
 * shrinks: a file not named here that builds a query or parses a stored column fails the test.
 */
const PENDING: Record<string, string> = {}

/** Kysely's query builders and its `sql` tag (with or without a row type), and schema changes. */
const QUERY_PATTERNS: Array<[string, RegExp]> = [
  ['a kysely query builder', /\.(selectFrom|insertInto|replaceInto|updateTable|deleteFrom|mergeInto)\s*\(/],
  ['a sql template', /\bsql\s*(<[^`;]*>)?\s*`/],
  ['a sql helper', /\bsql\s*\.\s*(raw|ref|table|id|join|lit|val)\s*\(/],
  ['a schema change', /\.schema\s*\.\s*(createTable|alterTable|dropTable|createIndex|dropIndex)\s*\(/],
]

/** The names of the store's text columns (JSON lives in text columns), read from its schema files. */
function textColumns(): Set<string> {
  const names = new Set<string>()
  const dir = path.join(repo, 'packages/store/src')
  for (const file of readdirSync(dir).filter((f) => /^schema.*\.ts$/.test(f))) {
    const text = readFileSync(path.join(dir, file), 'utf8')
    for (const table of text.matchAll(/export interface \w+Table \{\n([\s\S]*?)\n\}/g))
      for (const column of (table[1] ?? '').matchAll(/^\s+(\w+)\??:\s*([^\n]+)$/gm))
        if (/\bstring\b/.test(column[2] ?? '')) names.add(column[1] ?? '')
  }
  return names
}

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(path.join(repo, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`
    if (entry.isDirectory()) out.push(...sourceFiles(rel))
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) out.push(rel)
  }
  return out
}

/** The source without comments (a doc comment may quote a query), line numbers kept. */
function code(text: string): string[] {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .split('\n')
    .map((line) => (/^\s*\/\//.test(line) ? '' : line))
}

/** The argument text of each `JSON.parse(` call on a line (to its closing parenthesis on that line). */
function parseArguments(line: string): string[] {
  const args: string[] = []
  for (const m of line.matchAll(/JSON\.parse\s*\(/g)) {
    let depth = 1
    let i = (m.index ?? 0) + m[0].length
    const start = i
    for (; i < line.length && depth > 0; i++) depth += line[i] === '(' ? 1 : line[i] === ')' ? -1 : 0
    args.push(line.slice(start, i - 1))
  }
  return args
}

/** What one line of code does that only the store may do. */
function lineFindings(line: string, columns: ReadonlySet<string>): string[] {
  const found = QUERY_PATTERNS.filter(([, pattern]) => pattern.test(line)).map(([what]) => what)
  for (const arg of parseArguments(line)) {
    const members = [...arg.matchAll(/[\w$\])][!?]?\.(\w+)\b/g)].map((m) => m[1] ?? '')
    const column = members.find((c) => columns.has(c))
    if (column) found.push(`JSON.parse of the stored column ${column}`)
  }
  return found
}

/** Every place outside the store that queries its tables or parses a stored column. */
function findings(): Array<{ file: string; line: number; what: string }> {
  const columns = textColumns()
  return roots
    .flatMap(sourceFiles)
    .flatMap((file) =>
      code(readFileSync(path.join(repo, file), 'utf8')).flatMap((line, i) =>
        lineFindings(line, columns).map((what) => ({ file, line: i + 1, what })),
      ),
    )
}

describe('the store owns its SQL (issue 11 item 3)', () => {
  it('no file outside packages/store queries its tables or parses a stored column, but those being moved', () => {
    const outside = findings().filter((f) => !(f.file in PENDING))
    expect(
      outside.map((f) => `${f.file}:${f.line}: ${f.what}; make it a store function taking db first`),
    ).toEqual([])
  })

  it('recognises queries and parsed columns, and leaves other JSON alone', () => {
    const columns = textColumns()
    expect(['placeholder', 'recipients', 'forward_to', 'dpop_key'].every((c) => columns.has(c))).toBe(true)
    const check = (line: string) => lineFindings(line, columns)
    expect(check("return ctx.db.selectFrom('outbox').selectAll().where('id', 'in', ids).execute()")).toEqual([
      'a kysely query builder',
    ])
    expect(check("await trx.insertInto('outbox').values(row).execute()")).toEqual(['a kysely query builder'])
    expect(check('await sql`SELECT 1`.execute(ctx.db)')).toEqual(['a sql template'])
    expect(check('const { rows } = await sql<{ n: number }>`SELECT count(*) AS n`.execute(db)')).toEqual([
      'a sql template',
    ])
    expect(check('const received = JSON.parse(job.placeholder) as PlaceholderMessage')).toEqual([
      'JSON.parse of the stored column placeholder',
    ])
    expect(check('const forwardTo: string[] = JSON.parse(job.forward_to)')).toEqual([
      'JSON.parse of the stored column forward_to',
    ])
    expect(check('const key = JSON.parse(rows[0]!.dpop_key)')).toEqual([
      'JSON.parse of the stored column dpop_key',
    ])
    // A request body, a file's text or a header value is not a stored column; neither is a comment.
    expect(check('const body = JSON.parse(xhr.responseText) as Partial<UploadResult>')).toEqual([])
    expect(check('value = JSON.parse(raw)')).toEqual([])
    const commented = code('/** e.g. sql`SELECT 1` */\n// db.selectFrom(x)\nlet n = 1')
    expect(commented.flatMap((line) => check(line))).toEqual([])
    expect(commented[2]).toBe('let n = 1')
  })
})
