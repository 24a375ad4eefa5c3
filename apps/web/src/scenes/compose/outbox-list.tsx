import { useEffect, useRef } from 'react'
import styled from 'styled-components'
import { isNetworkError } from '../../api/mail-api.ts'
import { Button } from '../../components/button.tsx'
import { Icon } from '../../components/icons.tsx'
import { explainError } from '../../lib/explain.ts'
import { updateOutbox } from '../../lib/outbox-queue.ts'
import { useMail } from '../../state/mail-context.ts'
import { pushNotice, useMailState } from '../../state/mail-store.ts'

/**
 * The offline outbox: each message sent without a connection, visible until the server has it; sent
 * in order as soon as the mail server answers again.
 */
export function OutboxList() {
  const { api, store, email, storage, engine, openCompose } = useMail()
  const outbox = useMailState(store, (s) => s.outbox)
  const reachable = useMailState(store, (s) => s.online)
  const flushing = useRef(false)

  useEffect(() => {
    if (!reachable || outbox.length === 0 || flushing.current) return
    flushing.current = true
    void (async () => {
      try {
        for (const item of store.get().outbox) {
          if (item.error) continue
          // The server saves the form before it sends: a refused send leaves that draft, which Edit reopens.
          let savedId = item.draft.draftId
          try {
            const result = await api.send(item.draft, (id) => {
              savedId = id
            })
            store.set((s) => ({
              outbox: updateOutbox(storage, email, item.key),
              sends: [
                ...s.sends,
                {
                  messageId: result.messageId,
                  subject: item.draft.subject || '(no subject)',
                  holdUntil: result.holdUntil,
                },
              ],
            }))
          } catch (error) {
            if (isNetworkError(error)) break // still no connection: the next "online" tries again
            const reason = explainError(error, 'Not sent').sentence
            const draft = savedId ? { ...item.draft, draftId: savedId } : item.draft
            store.set({ outbox: updateOutbox(storage, email, item.key, { ...item, draft, error: reason }) })
          }
        }
        void engine.syncNow()
      } finally {
        flushing.current = false
      }
    })()
  }, [reachable, outbox, api, store, storage, email, engine])

  if (outbox.length === 0) return null
  return (
    <>
      {outbox.map((item) => (
        <Item key={item.key} data-testid="outbox-item">
          <div className="top">
            <Icon name={item.error ? 'alert' : 'clock'} size={16} />
            <strong>{item.draft.subject || '(no subject)'}</strong>
          </div>
          <p role="status">{item.error ?? 'In your outbox: it will be sent when the connection returns.'}</p>
          <Button
            $size="small"
            onClick={() => {
              store.set({ outbox: updateOutbox(storage, email, item.key) })
              openCompose(item.draft)
              pushNotice(store, { kind: 'info', text: 'Taken out of the outbox: edit it and send again.' })
            }}
          >
            Edit
          </Button>
        </Item>
      ))}
    </>
  )
}

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
    gap: 8px;
  }
  p {
    margin: 4px 0 8px;
    color: ${(p) => p.theme.color.textMuted};
  }
`
