import { lazy, Suspense, useEffect, useState } from 'react'
import { ThemeProvider } from 'styled-components'
import { loadWebConfig, type WebConfig } from '../auth/config.ts'
import { type AuthSession, createAuthSession } from '../auth/oauth-session.ts'
import { GlobalStyle } from '../global-style.ts'
import { CenteredMessage } from '../scenes/auth/centered-message.tsx'
import { SignInScreen } from '../scenes/auth/sign-in-screen.tsx'
import { darkTheme, lightTheme } from '../theme.ts'
import { useMedia } from './use-media.ts'

const MailApp = lazy(() => import('./mail-app.tsx').then((m) => ({ default: m.MailApp })))

type Phase =
  | { kind: 'loading'; text: string }
  | { kind: 'signedOut'; error?: string }
  | { kind: 'signedIn'; email: string }
  | { kind: 'fatal'; error: string }

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
      } catch (error) {
        if (!cancelled)
          setPhase({
            kind: 'fatal',
            error: `This mail server is not configured correctly: ${String((error as Error).message)}`,
          })
        return
      }
      const session = createAuthSession({ config: cfg, storage: window.sessionStorage })
      if (cancelled) return
      setConfig(cfg)
      setAuth(session)
      session.subscribe((tokens) => {
        if (!tokens) setPhase((p) => (p.kind === 'signedIn' ? { kind: 'signedOut' } : p))
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
        if (!cancelled) setPhase({ kind: 'signedOut', error: (error as Error).message })
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
      {phase.kind === 'fatal' && <CenteredMessage role="alert">{phase.error}</CenteredMessage>}
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
