import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react'
import { createApiClient } from '../api/trpc-client.ts'
import { createTrpcMailApi } from '../api/trpc-mail-api.ts'
import type { DraftState, Settings } from '../api/types.ts'
import type { WebConfig } from '../auth/config.ts'
import type { AuthSession } from '../auth/oauth-session.ts'
import { ErrorBoundary } from '../components/error-boundary.tsx'
import { newDraft } from '../lib/compose-model.ts'
import { loadLocalDraft } from '../lib/local-draft.ts'
import { memoryStorage } from '../lib/offline-queue.ts'
import { loadOutbox } from '../lib/outbox-queue.ts'
import { withSignature } from '../lib/signature.ts'
import { HelpDialog } from '../scenes/mailbox/help-dialog.tsx'
import { MailShell } from '../scenes/mailbox/mail-shell.tsx'
import { MailContext, type MailContextValue } from '../state/mail-context.ts'
import { createMailStore, initialMailState, useMailState } from '../state/mail-store.ts'
import { createSyncEngine } from '../state/sync-engine.ts'
import { useTabNotifications } from './use-tab-notifications.ts'

// Compose and settings are not needed to read mail: they load on first use (initial JS budget).
const ComposePanel = lazy(() =>
  import('../scenes/compose/compose-panel.tsx').then((m) => ({ default: m.ComposePanel })),
)
const SendTracker = lazy(() =>
  import('../scenes/compose/send-tracker.tsx').then((m) => ({ default: m.SendTracker })),
)
const SettingsDialog = lazy(() =>
  import('../scenes/settings/settings-dialog.tsx').then((m) => ({ default: m.SettingsDialog })),
)

function safeLocalStorage() {
  try {
    window.localStorage.setItem('fz:probe', '1')
    window.localStorage.removeItem('fz:probe')
    return window.localStorage
  } catch {
    return memoryStorage()
  }
}

/** The signed-in application: builds the api client, the store and the sync engine once. */
export function MailApp(props: { config: WebConfig; auth: AuthSession; email: string }) {
  const { config, auth } = props
  const [email, setEmail] = useState(props.email)
  const [name, setName] = useState<string>()
  const storage = useMemo(safeLocalStorage, [])
  const core = useMemo(() => {
    const token = () => auth.accessToken()
    const client = createApiClient(config.apiUrl, token)
    const api = createTrpcMailApi(client, { apiUrl: config.apiUrl, accessToken: token })
    const store = createMailStore({ ...initialMailState(), outbox: loadOutbox(storage, props.email) })
    const engine = createSyncEngine({ api, store, account: props.email || 'me', storage })
    const queryClient = new QueryClient({
      defaultOptions: {
        queries: { staleTime: 30_000, gcTime: 30 * 60_000, retry: 1, refetchOnWindowFocus: false },
      },
    })
    return { api, store, engine, queryClient }
    // The session and config do not change while signed in.
  }, [auth, config, props.email, storage])

  const [compose, setCompose] = useState<{ key: number; draft: DraftState } | null>(() => {
    const local = loadLocalDraft(storage, props.email)
    return local ? { key: 1, draft: local.draft } : null
  })
  const [settingsOpen, setSettingsOpen] = useState(false)
  const tracking = useMailState(core.store, (s) => s.sends.length + s.outbox.length > 0)
  const [helpOpen, setHelpOpen] = useState(false)
  useTabNotifications(core.store)

  useEffect(() => {
    core.engine.start()
    core.api
      .me()
      .then((me) => {
        setEmail(me.email)
        if (me.name) setName(me.name)
      })
      .catch(() => undefined)
    return () => core.engine.stop()
  }, [core])

  const openCompose = useCallback(
    (draft?: DraftState) => {
      const signature = core.queryClient.getQueryData<Settings>(['settings'])?.prefs.signatures[email]
      const started = withSignature(draft ?? newDraft(), signature)
      setCompose((c) => ({ key: (c?.key ?? 0) + 1, draft: started }))
    },
    [core, email],
  )

  const value: MailContextValue = {
    config,
    auth,
    api: core.api,
    store: core.store,
    engine: core.engine,
    email,
    ...(name ? { name } : {}),
    storage,
    openCompose,
    openSettings: () => setSettingsOpen(true),
    openHelp: () => setHelpOpen(true),
  }

  return (
    <QueryClientProvider client={core.queryClient}>
      <MailContext.Provider value={value}>
        <ErrorBoundary label="mailbox">
          <MailShell composeOpen={compose !== null} />
        </ErrorBoundary>
        {compose && (
          <Suspense fallback={null}>
            <ErrorBoundary label="compose window">
              <ComposePanel
                key={compose.key}
                initial={compose.draft}
                storage={storage}
                onClose={() => setCompose(null)}
              />
            </ErrorBoundary>
          </Suspense>
        )}
        {tracking && (
          <Suspense fallback={null}>
            <SendTracker />
          </Suspense>
        )}
        {settingsOpen && (
          <Suspense fallback={null}>
            <SettingsDialog onClose={() => setSettingsOpen(false)} />
          </Suspense>
        )}
        {helpOpen && <HelpDialog onClose={() => setHelpOpen(false)} />}
      </MailContext.Provider>
    </QueryClientProvider>
  )
}
