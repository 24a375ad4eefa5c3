import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { sql } from 'kysely'
import { appRouter } from '../../src/router.ts'
import type { Harness } from '../harness.ts'

/** Every tRPC procedure of the api, by path, with its kind (read from the router: new ones join by themselves). */
export function everyProcedure(): Array<{ path: string; type: 'query' | 'mutation' }> {
  // _def.procedures is the flat map of every procedure by dotted path (nested routers included).
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>
  return Object.entries(procedures)
    .filter(([, p]) => p._def.type === 'query' || p._def.type === 'mutation')
    .map(([p, def]) => ({ path: p, type: def._def.type as 'query' | 'mutation' }))
}

/** One raw tRPC call over HTTP (no client library in between: the attacker writes bytes). */
export async function rawCall(
  h: Harness,
  proc: { path: string; type: 'query' | 'mutation' },
  input: unknown,
  token?: string,
  options: { raw?: boolean } = {},
): Promise<{ status: number; text: string; json: unknown }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
  const url = `${h.baseUrl}/trpc/${proc.path}`
  // raw: `input` is already the JSON text (e.g. nesting too deep for this side's JSON.stringify).
  const text = options.raw ? String(input) : JSON.stringify(input)
  const res =
    proc.type === 'query'
      ? await fetch(`${url}?input=${encodeURIComponent(text)}`, { headers })
      : await fetch(url, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: text,
        })
  const body = await res.text()
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    json = undefined
  }
  return { status: res.status, text: body, json }
}

/** Fails on anything that looks like a stack trace, a file path, SQL or an internal exception name. */
export function leaks(text: string): string[] {
  const signs = [
    /\bat [\w.<>]+ \(/,
    /node_modules/,
    /\/src\/[\w/-]+\.ts/,
    /SQLITE_/,
    /\bselect .* from\b/i,
    /TypeError|ReferenceError/,
  ]
  return signs.filter((r) => r.test(text)).map(String)
}

/** Rows per table whose `account` (or `owner`) column names `account`: what a request created for it. */
export async function rowsFor(h: Harness, account: string): Promise<Record<string, number>> {
  const db = h.api.ctx.db
  // kysely's introspection reads the catalogue of either dialect (sqlite_master, information_schema).
  const tables = await db.introspection.getTables()
  const out: Record<string, number> = {}
  for (const { name, columns } of tables) {
    const col = columns.find((c) => c.name === 'account')?.name
    if (!col) continue
    const n = await sql<{
      n: number
    }>`select count(*) as n from ${sql.table(name)} where ${sql.ref(col)} = ${account}`.execute(db)
    const count = Number(n.rows[0]?.n ?? 0)
    if (count > 0) out[name] = count
  }
  return out
}

/** Every file under the data folder (resources, temp uploads): nothing may appear for a refused request. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.join(e.parentPath, e.name))
  }
  return out.filter((f) => !/\.(db|sqlite)(-wal|-shm|-journal)?$/.test(f)).sort()
}
