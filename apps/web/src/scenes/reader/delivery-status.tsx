import { useEffect, useState } from 'react'
import styled from 'styled-components'
import type { DeliveryStatus } from '../../api/types.ts'
import { Button } from '../shared/button.tsx'

const LABELS: Record<string, string> = {
  held: 'Sending soon',
  queued: 'Queued',
  delivered: 'Delivered',
  delayed: 'Delayed, retrying',
  failed: 'Failed',
  bounced: 'Bounced',
  cancelled: 'Cancelled',
}

/** Per-recipient delivery state of a sent message, with Undo while the server still holds it. */
export function DeliveryStatusList(props: {
  delivery: DeliveryStatus[]
  holdUntil?: number | undefined
  onUndo?: () => void
}) {
  const [now, setNow] = useState(Date.now())
  const holding = props.holdUntil !== undefined && props.holdUntil > now
  useEffect(() => {
    if (!holding) return
    const timer = setInterval(() => setNow(Date.now()), 500)
    return () => clearInterval(timer)
  }, [holding])
  if (props.delivery.length === 0 && !holding) return null
  return (
    <Wrap aria-label="Delivery status">
      {holding && props.onUndo && (
        <p className="hold">
          Sending in {Math.max(0, Math.ceil(((props.holdUntil ?? 0) - now) / 1000))} s{' '}
          <Button $size="small" onClick={props.onUndo}>
            Undo send
          </Button>
        </p>
      )}
      <ul>
        {props.delivery.map((d) => (
          <li key={d.recipient} data-state={d.state}>
            <span className="who">{d.recipient}</span>
            <State $state={d.state}>{LABELS[d.state] ?? d.state}</State>
            {d.detail && <span className="detail">{d.detail}</span>}
          </li>
        ))}
      </ul>
    </Wrap>
  )
}

const Wrap = styled.section`
  margin: 8px 0;
  font-size: 0.9rem;
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
    color: ${(p) => p.theme.color.textMuted};
    font-size: 0.82rem;
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
