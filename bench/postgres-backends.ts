import { readdir, readFile } from 'node:fs/promises'
import { processCpuMs } from './proc.ts'

/**
 * CPU time so far (ms) of each PostgreSQL backend serving one of `databases` (pool connections and queue
 * listeners), by pid: the processes whose title PostgreSQL sets to `postgres: <user> <database> <client>
 * <state>` (/proc/<pid>/cmdline), so no SQL connection of the bench adds to what is measured.
 */
export async function backendsCpuMs(databases: string[]): Promise<Map<number, number>> {
  const out = new Map<number, number>()
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const title = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')
    if (!title.startsWith('postgres: ')) continue
    const words = title.replaceAll('\0', ' ').split(' ')
    if (!databases.some((d) => words.includes(d))) continue
    const ms = await processCpuMs(Number(entry)).catch(() => undefined)
    if (ms !== undefined) out.set(Number(entry), ms)
  }
  return out
}

/** CPU used between two readings, by every backend of the second (one started since counts in full). */
export function backendsDelta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0)
  return total
}

/** The database name of a `postgres://` URL. */
export const databaseOf = (url: string): string => new URL(url).pathname.slice(1)
