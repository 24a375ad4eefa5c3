import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useCallback, useEffect, useState } from 'react'
import styled from 'styled-components'
import { Button } from '../../components/button.tsx'
import { Icon } from '../../components/icons.tsx'
import { draftFromMessage } from '../../lib/compose-model.ts'
import { deliveryStateLabel, isDeliveryFinished } from '../../lib/delivery-state.ts'
import { explainError } from '../../lib/explain.ts'
import { reconstructMessage } from '../../lib/message-view.ts'
import { useMail } from '../../state/mail-context.ts'
import { pushNotice, type TrackedSend, useMailState } from '../../state/mail-store.ts'
import { OutboxList } from './outbox-list.tsx'

/** Shows each message sent in this session: held (with Undo) → queued → delivered / failed per recipient. */
export function SendTracker() {
  const { store } = useMail()
  const sends = useMailState(store, (s) => s.sends)
  const queued = useMailState(store, (s) => s.outbox.length)
  if (sends.length === 0 && queued === 0) return null
  return (
    <Stack aria-label="Sending" role="region">
      <OutboxList />
      {sends.map((s) => (
        <TrackedItem key={s.messageId} send={s} />
      ))}
    </Stack>
  )
}

function TrackedItem(props: { send: TrackedSend }) {
  const { api, store, engine, openCompose } = useMail()
  const queryClient = useQueryClient()
  const [now, setNow] = useState(Date.now())
  const [done, setDone] = useState(false)
  const holding = props.send.holdUntil > now
  const query = useQuery({
    queryKey: ['send', props.send.messageId],
    queryFn: async () => {
      const [detail] = await api.details([props.send.messageId])
      // One state everywhere: the reader's copy of this message (Sent view) gets what we just saw.
      if (detail) queryClient.setQueriesData({ queryKey: ['message', detail.id] }, detail)
      return detail
    },
    refetchInterval: done ? false : 1000,
  })
  const delivery = query.data?.delivery ?? []
  const finished = isDeliveryFinished(delivery)

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 500)
    return () => clearInterval(timer)
  }, [])
  const messageId = props.send.messageId
  const remove = useCallback(
    () => store.set((s) => ({ sends: s.sends.filter((x) => x.messageId !== messageId) })),
    [store, messageId],
  )
  useEffect(() => {
    if (!finished) return
    setDone(true)
    // Leave the final state visible for a moment, then get out of the way.
    const timer = setTimeout(remove, 8000)
    return () => clearTimeout(timer)
  }, [finished, remove])

  const handleUndo = async () => {
    try {
      await api.undoSend(props.send.messageId)
      remove()
      await engine.syncNow()
      const [detail] = await api.details([props.send.messageId])
      if (detail) {
        const view = reconstructMessage({
          placeholder: detail.placeholder,
          ...(detail.text !== undefined ? { text: detail.text } : {}),
          resources: detail.resources,
          contentState: detail.contentState,
        })
        openCompose(draftFromMessage(detail.id, view, detail.text ?? '', detail.html))
      }
      pushNotice(store, { kind: 'info', text: 'Sending undone. The message is back in your drafts.' })
    } catch (error) {
      pushNotice(store, { kind: 'error', text: explainError(error, 'Could not undo').sentence })
    }
  }

  return (
    <Item data-testid="send-status">
      <div className="top">
        <strong>{props.send.subject}</strong>
        {holding ? (
          <Button $size="small" onClick={() => void handleUndo()}>
            Undo ({Math.ceil((props.send.holdUntil - now) / 1000)} s)
          </Button>
        ) : (
          <button type="button" className="x" aria-label="Dismiss" onClick={remove}>
            <Icon name="close" size={14} />
          </button>
        )}
      </div>
      <ul>
        {delivery.map((d) => (
          <li key={d.recipient} data-state={d.state}>
            <span>{d.recipient}</span>
            <b>{deliveryStateLabel(d.state)}</b>
          </li>
        ))}
        {delivery.length === 0 && <li>Sending…</li>}
      </ul>
    </Item>
  )
}

const Stack = styled.div`
  position: fixed;
  right: 16px;
  bottom: 16px;
  z-index: 14;
  display: flex;
  flex-direction: column;
  gap: 8px;
  width: min(360px, calc(100vw - 32px));
`

const Item = styled.div`
  padding: 10px 14px;
  border-radius: ${(p) => p.theme.radius};
  background: ${(p) => p.theme.color.surface};
  border: 1px solid ${(p) => p.theme.color.border};
  box-shadow: ${(p) => p.theme.shadow};
  font-size: 0.9rem;
  .top {
    display: flex;
    align-items: center;
    justify-content: space-between;
    gap: 8px;
  }
  .x {
    border: none;
    background: none;
    font-size: 1.1rem;
    cursor: pointer;
  }
  ul {
    list-style: none;
    margin: 6px 0 0;
    padding: 0;
  }
  li {
    display: flex;
    justify-content: space-between;
    gap: 8px;
  }
  li[data-state='delivered'] b {
    color: ${(p) => p.theme.color.success};
  }
  li[data-state='failed'] b,
  li[data-state='bounced'] b {
    color: ${(p) => p.theme.color.danger};
  }
`
