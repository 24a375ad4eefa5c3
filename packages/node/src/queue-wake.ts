import { type FSWatcher, watch } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { DomainConfig } from './config.ts'

/**
 * Wakes a domain's MTA from another process: the mailbox api queues outgoing mail in the shared database
 * and then writes this file; the gateway watches it (inotify through fs.watch) and claims at once. So the
 * MTA needs no tight polling to pick up new mail (its idle polls only notice retries that came due and
 * other replicas' rows), and a send is not delayed by a poll interval.
 */
const wakePath = (config: Pick<DomainConfig, 'dataDir'>) => path.join(config.dataDir, 'queue-wake')

/**
 * Called after the transaction that queued rows has committed. Best effort: if the file cannot be written
 * the MTA's poll still finds the rows, so the failure is returned for logging, never thrown.
 */
export async function signalQueued(config: Pick<DomainConfig, 'dataDir'>): Promise<Error | undefined> {
  try {
    await writeFile(wakePath(config), '')
    return undefined
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e))
  }
}

/** Calls `onWake` whenever another process signals queued work; `close` stops watching. */
export async function watchQueued(
  config: Pick<DomainConfig, 'dataDir'>,
  onWake: () => void,
  onError: (e: Error) => void,
): Promise<{ close(): void }> {
  const file = wakePath(config)
  // The file must exist to be watched; 'a' never truncates what a concurrent signal wrote.
  await writeFile(file, '', { flag: 'a' })
  let watcher: FSWatcher | undefined
  try {
    watcher = watch(file, { persistent: false }, () => onWake())
    watcher.on('error', onError)
  } catch (e) {
    onError(e instanceof Error ? e : new Error(String(e)))
  }
  return { close: () => watcher?.close() }
}
