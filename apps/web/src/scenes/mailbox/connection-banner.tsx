import { useEffect, useState } from 'react'
import styled from 'styled-components'
import { Button } from '../../components/button.tsx'
import { Problem } from '../../components/problem.tsx'
import { plural } from '../../lib/format.ts'
import { useMail } from '../../state/mail-context.ts'
import { useMailState } from '../../state/mail-store.ts'

/** `navigator.onLine`, kept current by the browser's online / offline events. */
function useBrowserOnline(): boolean {
  const [online, setOnline] = useState(() => typeof navigator === 'undefined' || navigator.onLine)
  useEffect(() => {
    const update = () => setOnline(navigator.onLine)
    window.addEventListener('online', update)
    window.addEventListener('offline', update)
    return () => {
      window.removeEventListener('online', update)
      window.removeEventListener('offline', update)
    }
  }, [])
  return online
}

/**
 * What is true about the connection: the device is offline (the browser says so), or it is online but
 * the mail server does not answer ("Can't reach example.com right now — retrying"), or a refresh failed.
 */
export function ConnectionBanner() {
  const { store, engine, config } = useMail()
  const reachable = useMailState(store, (s) => s.online)
  const syncError = useMailState(store, (s) => s.syncError)
  const queued = useMailState(store, (s) => s.pending.filter((p) => p.key.startsWith('q:')).length)
  const deviceOnline = useBrowserOnline()
  const waiting = queued > 0 ? ` ${plural(queued, 'change')} will be saved when the connection returns.` : ''
  if (!deviceOnline)
    return (
      <Banner role="status" $kind="warning">
        You are offline. Messages already loaded stay readable.{waiting}
      </Banner>
    )
  if (!reachable)
    return (
      <Banner role="status" $kind="warning">
        <span>
          Can’t reach {config.domain} right now — retrying. Messages already loaded stay readable.{waiting}
        </span>
        <Button $size="small" onClick={() => void engine.syncNow()}>
          Retry now
        </Button>
      </Banner>
    )
  if (syncError)
    return (
      <Banner role="status" $kind="error">
        <Problem
          problem={{
            sentence: 'Your mailbox could not be refreshed. It will try again shortly.',
            detail: syncError,
          }}
        />
      </Banner>
    )
  return null
}

const Banner = styled.div<{ $kind: 'warning' | 'error' }>`
  display: flex;
  align-items: center;
  gap: 12px;
  flex-wrap: wrap;
  padding: 8px 16px;
  font-weight: 600;
  color: ${(p) => (p.$kind === 'warning' ? p.theme.color.warning : p.theme.color.danger)};
  background: ${(p) => p.theme.color.surfaceAlt};
  border-bottom: 1px solid ${(p) => p.theme.color.border};
`
