import { createContext, useContext } from 'react'
import type { MailApi } from '../api/mail-api.ts'
import type { DraftState } from '../api/types.ts'
import type { WebConfig } from '../auth/config.ts'
import type { AuthSession } from '../auth/oauth-session.ts'
import type { KeyValueStorage } from '../lib/offline-queue.ts'
import type { MailStore } from './mail-store.ts'
import type { SyncEngine } from './sync-engine.ts'

/** Everything a signed-in scene needs, built once in MailApp (one context object, no singletons). */
export interface MailContextValue {
  config: WebConfig
  auth: AuthSession
  api: MailApi
  store: MailStore
  engine: SyncEngine
  email: string
  name?: string
  /** localStorage (or memory when it is unavailable): drafts, offline copy, queued actions. */
  storage: KeyValueStorage
  openCompose(draft?: DraftState): void
  openSettings(): void
  openHelp(): void
}

export const MailContext = createContext<MailContextValue | null>(null)

export function useMail(): MailContextValue {
  const value = useContext(MailContext)
  if (!value) throw new Error('useMail() outside <MailContext.Provider>')
  return value
}
