// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { act } from 'react'
import { createRoot } from 'react-dom/client'
import { ThemeProvider } from 'styled-components'
import { afterEach, describe, expect, it } from 'vitest'
import { createApiClient } from '../../api/trpc-client.ts'
import { createTrpcMailApi } from '../../api/trpc-mail-api.ts'
import { memoryStorage } from '../../lib/offline-queue.ts'
import { MailContext, type MailContextValue } from '../../state/mail-context.ts'
import { createMailStore } from '../../state/mail-store.ts'
import { DEFAULT_PREFS } from '../../state/prefs.ts'
import { createSyncEngine } from '../../state/sync-engine.ts'
import { lightTheme } from '../../theme.ts'
import { MessageList } from './message-list.tsx'

// The list component in jsdom (virtualisation itself is exercised in Chromium: e2e/mailbox-work.e2e.ts).
;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true

const container = document.createElement('div')
afterEach(() => {
  container.innerHTML = ''
})

function context(): MailContextValue {
  // A real client and engine; nothing in this test makes them talk to a server.
  const token = async () => 'unused'
  const api = createTrpcMailApi(createApiClient('http://127.0.0.1:9', token), {
    apiUrl: 'http://127.0.0.1:9',
    accessToken: token,
  })
  const store = createMailStore()
  const storage = memoryStorage()
  return {
    config: {
      issuer: 'http://127.0.0.1:9',
      clientId: 'webmail',
      apiUrl: 'http://127.0.0.1:9',
      domain: 'example.com',
    },
    auth: {} as MailContextValue['auth'],
    api,
    store,
    engine: createSyncEngine({ api, store, account: 'a@example.com', storage }),
    email: 'a@example.com',
    storage,
    openCompose: () => {},
    openSettings: () => {},
    openHelp: () => {},
  }
}

describe('virtualised message list', () => {
  it('says so when a mailbox is empty', async () => {
    document.body.append(container)
    const root = createRoot(container)
    await act(async () => {
      // The preferences are known (as after the settings query), so nothing is fetched.
      const queryClient = new QueryClient()
      queryClient.setQueryData(['settings'], { prefs: DEFAULT_PREFS })
      root.render(
        <QueryClientProvider client={queryClient}>
          <ThemeProvider theme={lightTheme}>
            <MailContext.Provider value={context()}>
              <MessageList
                title="Archive"
                items={[]}
                selectedId={undefined}
                loading={false}
                mailboxRole="archive"
                onOpen={() => {}}
                hrefFor={() => '#'}
                onEndReached={() => {}}
                phoneNav={null}
                checked={new Set()}
                onCheck={() => {}}
                dragIds={() => []}
              />
            </MailContext.Provider>
          </ThemeProvider>
        </QueryClientProvider>,
      )
    })
    expect(container.textContent).toContain('No messages here.')
    await act(async () => root.unmount())
  })
})
