import type { Address } from '@federizer/protocol/message'
import { useQueryClient } from '@tanstack/react-query'
import styled from 'styled-components'
import type { MessageDetail } from '../../api/types.ts'
import { explainError } from '../../lib/explain.ts'
import { formatFullDate } from '../../lib/format.ts'
import type { MessageView } from '../../lib/message-view.ts'
import { useMail } from '../../state/mail-context.ts'
import { pushNotice } from '../../state/mail-store.ts'
import { AttachmentList } from './attachment-list.tsx'
import { ChainDetails } from './chain-details.tsx'
import { DeliveryStatusList } from './delivery-status.tsx'
import { MessageBody } from './message-body.tsx'

/** The names a message gives its recipients, by lower-cased address. */
const namesOf = (view: { to: Address[]; cc: Address[]; bcc: Address[] }) =>
  new Map(
    [...view.to, ...view.cc, ...view.bcc].flatMap((a) =>
      a.name ? [[a.address.toLowerCase(), a.name] as const] : [],
    ),
  )

/**
 * One message as the reader shows it: sender and recipients, delivery state (with undo, retry and
 * cancel for my own mail), the chain details when asked, the body with its quotes folded, attachments.
 * `inCard`: the conversation card's head already names the sender and the date.
 */
export function MessageContent(props: {
  detail: MessageDetail
  view: MessageView
  showDetails: boolean
  inCard?: boolean
}) {
  const { api, email, store, engine } = useMail()
  const queryClient = useQueryClient()
  const { detail, view } = props
  const sentByMe = view.from.address.toLowerCase() === email.toLowerCase()
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['message', detail.id] })
  const deliveryAction = async (run: () => Promise<void>, done: string) => {
    await run()
    pushNotice(store, { kind: 'info', text: done })
    await refresh()
  }
  const handleUndo = async () => {
    try {
      await api.undoSend(detail.id)
      pushNotice(store, { kind: 'success', text: 'Sending cancelled. The message is back in Drafts.' })
      await engine.syncNow()
      await refresh()
    } catch (error) {
      pushNotice(store, { kind: 'error', text: explainError(error, 'Too late to undo').sentence })
    }
  }
  const names = (list: MessageView['to']) => list.map((a) => a.name ?? a.address).join(', ')

  return (
    <>
      <Meta $inCard={!!props.inCard}>
        {!props.inCard && (
          <div>
            <strong>{view.from.name ?? view.from.address}</strong>{' '}
            {view.from.name && <span className="addr">&lt;{view.from.address}&gt;</span>}
          </div>
        )}
        <div className="addr">
          To: {names(view.to) || '—'}
          {view.cc.length > 0 && <> · Cc: {names(view.cc)}</>}
          {view.bcc.length > 0 && <> · Bcc: {names(view.bcc)}</>}
        </div>
        {!props.inCard && view.date && (
          <time dateTime={view.date.toISOString()}>{formatFullDate(view.date)}</time>
        )}
      </Meta>
      <DeliveryStatusList
        delivery={detail.delivery}
        holdUntil={detail.holdUntil}
        names={namesOf(view)}
        kind={sentByMe ? 'sent' : 'forward'}
        onUndo={() => void handleUndo()}
        {...(sentByMe
          ? {
              onRetry: () => deliveryAction(() => api.retrySend(detail.id), 'Trying again now.'),
              onCancel: () => deliveryAction(() => api.cancelSend(detail.id), 'Delivery cancelled.'),
            }
          : {})}
      />
      {props.showDetails && (
        <ChainDetails chain={detail.chain} legacy={detail.legacy} envelope={view.envelope} />
      )}
      <MessageBody view={view} messageId={detail.id} inCard={!!props.inCard} />
      <AttachmentList attachments={view.attachments} messageId={detail.id} />
    </>
  )
}

const Meta = styled.div<{ $inCard: boolean }>`
  display: flex;
  flex-direction: column;
  gap: 2px;
  margin-bottom: 12px;
  padding-bottom: ${(p) => (p.$inCard ? '0' : '12px')};
  border-bottom: ${(p) => (p.$inCard ? 'none' : `1px solid ${p.theme.color.border}`)};
  .addr,
  time {
    color: ${(p) => p.theme.color.textMuted};
    font-size: 0.88rem;
  }
`
