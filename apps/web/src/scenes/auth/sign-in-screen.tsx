import { useState } from 'react'
import styled from 'styled-components'
import type { WebConfig } from '../../auth/config.ts'
import type { AuthSession } from '../../auth/oauth-session.ts'
import { Button } from '../../components/button.tsx'
import { Problem } from '../../components/problem.tsx'
import { explainAuth } from '../../lib/explain.ts'

/** The signed-out page: one button to the domain's AS, and a clear error when it fails. */
export function SignInScreen(props: {
  config: WebConfig
  auth: AuthSession
  /** Why the last sign-in (or resumed session) ended; explained in plain words. */
  initialError?: unknown
}) {
  const [error, setError] = useState<unknown>(props.initialError)
  const [busy, setBusy] = useState(false)

  const handleSignIn = async () => {
    setBusy(true)
    setError(undefined)
    try {
      await props.auth.signIn()
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }

  return (
    <Page>
      <Card aria-labelledby="signin-title">
        <Logo src="/icon.svg" alt="" width={56} height={56} />
        <h1 id="signin-title">Federizer Mail</h1>
        <Domain>{props.config.domain}</Domain>
        <p>Sign in with your {props.config.domain} account to read and send mail.</p>
        {error !== undefined && (
          <ErrorBox role="alert">
            <Problem problem={explainAuth(error, props.config.domain)} />
          </ErrorBox>
        )}
        <Button $variant="primary" $size="large" onClick={handleSignIn} disabled={busy} aria-busy={busy}>
          {busy ? 'Contacting the sign-in server…' : retryLabel(error)}
        </Button>
      </Card>
    </Page>
  )
}

const Page = styled.main`
  display: grid;
  place-items: center;
  min-height: 100%;
  padding: 24px;
`

const Card = styled.section`
  width: min(420px, 100%);
  padding: 36px 32px;
  background: ${(p) => p.theme.color.surface};
  border: 1px solid ${(p) => p.theme.color.border};
  border-radius: 16px;
  box-shadow: ${(p) => p.theme.shadow};
  text-align: center;
  display: flex;
  flex-direction: column;
  align-items: center;
  gap: 8px;

  h1 {
    margin: 8px 0 0;
    font-size: 1.6rem;
  }
  p {
    color: ${(p) => p.theme.color.textMuted};
    margin: 8px 0 16px;
  }
`

const Logo = styled.img`
  border-radius: 14px;
`

const Domain = styled.div`
  font-weight: 600;
  color: ${(p) => p.theme.color.accent};
`

const ErrorBox = styled.div`
  width: 100%;
  text-align: left;
  padding: 12px 14px;
  margin-bottom: 12px;
  border-radius: ${(p) => p.theme.radius};
  border: 1px solid ${(p) => p.theme.color.danger};
  color: ${(p) => p.theme.color.danger};
  background: ${(p) => p.theme.color.surfaceAlt};
`

/** "Try again" when the server was not reached; "Sign in again" when a sign-in ended or was refused. */
function retryLabel(error: unknown): string {
  if (error === undefined) return 'Sign in'
  return (error as { code?: unknown }).code === 'as_unreachable' ? 'Try again' : 'Sign in again'
}
