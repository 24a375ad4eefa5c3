import { useEffect, useState } from 'react'
import styled from 'styled-components'
import type { DeliveryStatus } from '../../api/types.ts'
import { Button } from '../../components/button.tsx'
import { Icon } from '../../components/icons.tsx'
import { Problem } from '../../components/problem.tsx'
import { deliveryStateLabel } from '../../lib/delivery-state.ts'
import { explainDelivery, explainError } from '../../lib/explain.ts'

/** States a person can act on: still retrying after a failure, or failed for good. */
const STUCK = new Set(['delayed', 'failed'])

/**
 * Per-recipient delivery state of a sent message (or of a received message's automatic forward), with
 * Undo while the server still holds it, and — when a delivery cannot succeed — the reason in plain
 * words and "Retry now" / "Cancel".
 */
export function DeliveryStatusList(props: {
  delivery: DeliveryStatus[]
  holdUntil?: number | undefined
  /** "sent": this account's message; "forward": copies this account's auto-forward sent on. */
  kind?: 'sent' | 'forward'
  /** Recipient address (lower-case) → the name the message gives them, for sentences about them. */
  names?: ReadonlyMap<string, string>
  onUndo?: () => void
  onRetry?: () => Promise<void>
  onCancel?: () => Promise<void>
}) {
  const [now, setNow] = useState(Date.now())
  const [busy, setBusy] = useState(false)
  const [actionError, setActionError] = useState<string>()
  const holding = props.holdUntil !== undefined && props.holdUntil > now
  useEffect(() => {
    if (!holding) return
    const timer = setInterval(() => setNow(Date.now()), 500)
    return () => clearInterval(timer)
  }, [holding])
  if (props.delivery.length === 0 && !holding) return null
  const stuck = props.delivery.some(
    (d) => STUCK.has(d.state) || (d.state === 'queued' && !!d.detail && !/retrying now/.test(d.detail)),
  )
  const act = async (fn?: () => Promise<void>) => {
    if (!fn) return
    setBusy(true)
    setActionError(undefined)
    try {
      await fn()
    } catch (error) {
      setActionError(explainError(error, 'Not done').sentence)
    } finally {
      setBusy(false)
    }
  }
  const label = props.kind === 'forward' ? 'Auto-forwarded to' : 'Delivery'
  return (
    <Wrap aria-label={props.kind === 'forward' ? 'Automatic forwarding' : 'Delivery status'}>
      {holding && props.onUndo && (
        <p className="hold">
          Sending in {Math.max(0, Math.ceil(((props.holdUntil ?? 0) - now) / 1000))} s{' '}
          <Button $size="small" onClick={props.onUndo}>
            Undo send
          </Button>
        </p>
      )}
      <h2>{label}</h2>
      <ul>
        {props.delivery.map((d) => {
          const why =
            d.state === 'delivered' || d.state === 'held'
              ? undefined
              : explainDelivery(d.detail, d.recipient, {
                  name: props.names?.get(d.recipient.toLowerCase()),
                  retryUntil: d.retryUntil,
                })
          return (
            <li key={d.recipient} data-state={d.state}>
              <span className="who">{d.recipient}</span>
              <State $state={d.state}>{deliveryStateLabel(d.state)}</State>
              {why && <Problem className="detail" problem={why} />}
            </li>
          )
        })}
      </ul>
      {stuck && (props.onRetry || props.onCancel) && (
        <div className="actions">
          {props.onRetry && (
            <Button $size="small" disabled={busy} onClick={() => void act(props.onRetry)}>
              <Icon name="restore" size={14} /> Retry now
            </Button>
          )}
          {props.onCancel && (
            <Button $size="small" $variant="ghost" disabled={busy} onClick={() => void act(props.onCancel)}>
              Cancel delivery
            </Button>
          )}
          {actionError && (
            <span className="error" role="alert">
              {actionError}
            </span>
          )}
        </div>
      )}
    </Wrap>
  )
}

const Wrap = styled.section`
  margin: 8px 0;
  font-size: 0.9rem;
  h2 {
    font-size: 0.82rem;
    font-weight: 700;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    color: ${(p) => p.theme.color.textMuted};
    margin: 0 0 4px;
  }
  .actions {
    display: flex;
    gap: 8px;
    align-items: center;
    margin-top: 6px;
    flex-wrap: wrap;
  }
  .error {
    color: ${(p) => p.theme.color.danger};
  }
  .hold {
    display: flex;
    align-items: center;
    gap: 10px;
    margin: 0 0 6px;
    font-weight: 600;
  }
  ul {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: 4px;
  }
  li {
    display: flex;
    gap: 10px;
    align-items: baseline;
    flex-wrap: wrap;
  }
  .detail {
    flex-basis: 100%;
    color: ${(p) => p.theme.color.textMuted};
    font-size: 0.85rem;
  }
`

const State = styled.span<{ $state: string }>`
  font-weight: 700;
  color: ${(p) =>
    p.$state === 'delivered'
      ? p.theme.color.success
      : p.$state === 'failed' || p.$state === 'bounced'
        ? p.theme.color.danger
        : p.$state === 'delayed'
          ? p.theme.color.warning
          : p.theme.color.textMuted};
`
