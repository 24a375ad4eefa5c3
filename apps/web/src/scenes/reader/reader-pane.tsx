import { type RefObject, useImperativeHandle, useState } from 'react'
import styled from 'styled-components'
import type { MessageSummary } from '../../api/types.ts'
import { Button } from '../../components/button.tsx'
import { Icon } from '../../components/icons.tsx'
import { Problem } from '../../components/problem.tsx'
import { draftFromMessage, forwardDraftState, replyDraft } from '../../lib/compose-model.ts'
import { sanitizeForEditor } from '../../lib/editor-html.ts'
import { explainError } from '../../lib/explain.ts'
import { useMail } from '../../state/mail-context.ts'
import { useMailState } from '../../state/mail-store.ts'
import { useMessageActions } from '../mailbox/use-message-actions.ts'
import { Conversation } from './conversation.tsx'
import { Status } from './message-body.tsx'
import { ReaderToolbar } from './reader-toolbar.tsx'
import { useMessageDetail } from './use-message-detail.ts'

export { ifStillHere } from './reader-toolbar.tsx'

/** The reading pane: the message rebuilt from its placeholder, with actions and details. */
export function ReaderPane(props: {
  summary: MessageSummary | undefined
  messageId: string | undefined
  onBack: () => void
  onRemoved: () => void
  actionsRef: RefObject<{ reply(all: boolean): void; forward(): void } | null>
  phone: boolean
}) {
  const { email, openCompose, store } = useMail()
  const actions = useMessageActions()
  const mailboxes = useMailState(store, (s) => s.mailboxes)
  const [showDetails, setShowDetails] = useState(false)
  const id = props.messageId
  const summary = props.summary

  const { query, detail, view } = useMessageDetail(id, summary, actions.markRead)

  // Each message starts with its details folded.
  const [detailsFor, setDetailsFor] = useState(id)
  if (detailsFor !== id) {
    setDetailsFor(id)
    setShowDetails(false)
  }

  const ready = view && !(view instanceof Error) && detail ? { view, detail } : undefined
  const mailbox = mailboxes.find((m) => m.id === (summary?.mailboxId ?? detail?.mailboxId))
  // A draft is edited, not replied to or forwarded (also through r / a / f).
  const replyable = ready && mailbox?.role !== 'drafts' ? ready : undefined
  useImperativeHandle(
    props.actionsRef,
    () => ({
      reply(all: boolean) {
        if (replyable)
          openCompose(
            replyDraft(
              { id: replyable.detail.id, placeholder: replyable.detail.placeholder, view: replyable.view },
              { replyAll: all, self: email, sanitize: sanitizeForEditor },
            ),
          )
      },
      forward() {
        if (replyable)
          openCompose(
            forwardDraftState(
              { id: replyable.detail.id, view: replyable.view },
              { sanitize: sanitizeForEditor },
            ),
          )
      },
    }),
    [replyable, openCompose, email],
  )

  if (!id) {
    return (
      <Pane aria-label="Reading pane">
        <Placeholder>
          <Icon name="mail" size={48} />
          <p>Select a message to read it.</p>
          <p className="hint">
            Press <kbd>?</kbd> for keyboard shortcuts.
          </p>
        </Placeholder>
      </Pane>
    )
  }

  const target =
    summary ??
    (detail
      ? ({ ...detail, to: [], subject: '', preview: '', hasAttachment: false } as MessageSummary)
      : undefined)

  const sentByMe = !!ready && ready.view.from.address.toLowerCase() === email.toLowerCase()

  return (
    <Pane aria-label="Reading pane" data-message-open="">
      <ReaderToolbar
        phone={props.phone}
        ready={!!ready}
        isDraft={mailbox?.role === 'drafts'}
        target={target}
        mailbox={mailbox}
        mailboxes={mailboxes}
        sentByMe={sentByMe}
        showDetails={showDetails}
        onToggleDetails={() => setShowDetails((v) => !v)}
        onBack={props.onBack}
        onRemoved={props.onRemoved}
        actionsRef={props.actionsRef}
      />

      <Content>
        {query.isLoading && <Status role="status">Loading message…</Status>}
        {query.error && (
          <Status as="div" role="alert">
            <Problem problem={explainError(query.error, 'Could not load this message')} />{' '}
            <Button $size="small" onClick={() => void query.refetch()}>
              Retry
            </Button>
          </Status>
        )}
        {view instanceof Error && (
          <Status as="div" role="alert">
            <Problem
              problem={{ sentence: 'This message is damaged and cannot be shown.', detail: view.message }}
            />
          </Status>
        )}
        {ready && (
          <Article aria-labelledby="reader-subject">
            <h1 id="reader-subject">{ready.view.subject || '(no subject)'}</h1>
            {mailbox?.role === 'drafts' && (
              <EditDraft>
                <Button
                  $variant="primary"
                  onClick={() =>
                    openCompose(
                      draftFromMessage(
                        ready.detail.id,
                        ready.view,
                        ready.detail.text ?? '',
                        ready.detail.html,
                      ),
                    )
                  }
                >
                  <Icon name="pen" /> Edit draft
                </Button>
              </EditDraft>
            )}
            <Conversation
              key={summary?.threadId ?? ready.detail.id}
              threadId={summary?.threadId ?? undefined}
              current={ready}
              showDetails={showDetails}
            />
          </Article>
        )}
      </Content>
    </Pane>
  )
}

const Pane = styled.section`
  display: flex;
  flex-direction: column;
  min-height: 0;
  min-width: 0;
  background: ${(p) => p.theme.color.surface};
`

const Content = styled.div`
  flex: 1;
  overflow: auto;
  display: flex;
  flex-direction: column;
  padding: 16px 24px 32px;
  @media (max-width: 760px) {
    padding: 12px 14px 80px;
  }
`

const Article = styled.article`
  flex: 1;
  display: flex;
  flex-direction: column;
  h1 {
    font-size: 1.35rem;
    margin: 0 0 12px;
    overflow-wrap: anywhere;
  }
`

const EditDraft = styled.div`
  margin-bottom: 12px;
`

const Placeholder = styled.div`
  margin: auto;
  text-align: center;
  color: ${(p) => p.theme.color.textMuted};
  .hint {
    font-size: 0.9rem;
  }
  kbd {
    border: 1px solid ${(p) => p.theme.color.border};
    border-radius: 4px;
    padding: 0 5px;
  }
`
