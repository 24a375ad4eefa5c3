import { lazy, Suspense, useEffect, useState } from 'react'
import { ThemeProvider } from 'styled-components'
import { loadWebConfig, parseWebConfig, type WebConfig } from '../auth/config.ts'
import { AuthError, type AuthSession, createAuthSession } from '../auth/oauth-session.ts'
import { Problem } from '../components/problem.tsx'
import { GlobalStyle } from '../global-style.ts'
import type { Explained } from '../lib/explain.ts'
import { CenteredMessage } from '../scenes/auth/centered-message.tsx'
import { SignInScreen } from '../scenes/auth/sign-in-screen.tsx'
import { darkTheme, lightTheme } from '../theme.ts'
import { useMedia } from './use-media.ts'

const MailApp = lazy(() => import('./mail-app.tsx').then((m) => ({ default: m.MailApp })))

const CONFIG_KEY = 'fz:config'
const remember = (key: string, value: string) => {
  try {
    window.localStorage.setItem(key, value)
  } catch {
    // storage disabled: offline start is simply not available
  }
}
const recall = (key: string) => {
  try {
    return window.localStorage.getItem(key)
  } catch {
    return null
  }
}

type Phase =
  | { kind: 'loading'; text: string }
  | { kind: 'signedOut'; error?: unknown }
  | { kind: 'signedIn'; email: string }
  | { kind: 'fatal'; error: Explained }

/** Boots the webmail: config, then the sign-in callback or a resumed session, then the mail UI. */
export function App() {
  const dark = useMedia('(prefers-color-scheme: dark)')
  const [config, setConfig] = useState<WebConfig>()
  const [auth, setAuth] = useState<AuthSession>()
  const [phase, setPhase] = useState<Phase>({ kind: 'loading', text: 'Loading…' })

  useEffect(() => {
    let cancelled = false
    ;(async () => {
      let cfg: WebConfig
      try {
        cfg = await loadWebConfig()
        remember(CONFIG_KEY, JSON.stringify(cfg))
      } catch (error) {
        // Offline start from the installed app: the last configuration seen.
        const cached = recall(CONFIG_KEY)
        try {
          if (!cached) throw error
          cfg = parseWebConfig(JSON.parse(cached))
        } catch {
          if (!cancelled) {
            setPhase({
              kind: 'fatal',
              error: navigator.onLine
                ? {
                    sentence:
                      'This mail server is not set up correctly, so the webmail cannot start. Tell your administrator.',
                    detail: String((error as Error).message),
                  }
                : {
                    sentence:
                      'You are offline and this browser has no saved copy of your mailbox yet. Connect and reload.',
                  },
            })
          }
          return
        }
      }
      const session = createAuthSession({ config: cfg, storage: window.sessionStorage })
      if (cancelled) return
      setConfig(cfg)
      setAuth(session)
      session.subscribe((tokens) => {
        // A refresh the AS refused (e.g. after a password change elsewhere) says why on the sign-in page.
        const reason = session.lastError()
        if (!tokens)
          setPhase((p) =>
            p.kind === 'signedIn' ? { kind: 'signedOut', ...(reason ? { error: reason } : {}) } : p,
          )
      })
      try {
        if (window.location.pathname === '/callback') {
          setPhase({ kind: 'loading', text: 'Signing you in…' })
          const url = window.location.href
          window.history.replaceState(null, '', '/')
          const tokens = await session.handleCallback(url)
          if (!cancelled) setPhase({ kind: 'signedIn', email: tokens.email ?? '' })
          return
        }
        const tokens = await session.resume()
        if (cancelled) return
        setPhase(tokens ? { kind: 'signedIn', email: tokens.email ?? '' } : { kind: 'signedOut' })
      } catch (error) {
        if (cancelled) return
        // No network but a stored session: open the offline copy; sync resumes when the AS is back.
        const account = session.storedAccount()
        if (error instanceof AuthError && error.code === 'as_unreachable' && account) {
          setPhase({ kind: 'signedIn', email: account })
          return
        }
        setPhase({ kind: 'signedOut', error })
      }
    })()
    return () => {
      cancelled = true
    }
  }, [])

  return (
    <ThemeProvider theme={dark ? darkTheme : lightTheme}>
      <GlobalStyle />
      {phase.kind === 'loading' && <CenteredMessage busy>{phase.text}</CenteredMessage>}
      {phase.kind === 'fatal' && (
        <CenteredMessage role="alert">
          <Problem problem={phase.error} />
        </CenteredMessage>
      )}
      {phase.kind === 'signedOut' && config && auth && (
        <SignInScreen config={config} auth={auth} initialError={phase.error} />
      )}
      {phase.kind === 'signedIn' && config && auth && (
        <Suspense fallback={<CenteredMessage busy>Opening your mailbox…</CenteredMessage>}>
          <MailApp config={config} auth={auth} email={phase.email} />
        </Suspense>
      )}
    </ThemeProvider>
  )
}
