import { useQuery, useQueryClient } from '@tanstack/react-query'
import { type RefObject, useEffect, useImperativeHandle, useMemo, useRef, useState } from 'react'
import styled from 'styled-components'
import { isNetworkError } from '../../api/mail-api.ts'
import type { MessageDetail, MessageSummary } from '../../api/types.ts'
import { useMail } from '../../app/mail-context.ts'
import { pushNotice, useMailState } from '../../app/mail-store.ts'
import { draftFromMessage, forwardDraftState, replyDraft } from '../../lib/compose-model.ts'
import { formatFullDate } from '../../lib/format.ts'
import { linkify } from '../../lib/linkify.ts'
import { type MessageView, reconstructMessage } from '../../lib/message-view.ts'
import { loadDetail, saveDetail } from '../../lib/offline-cache.ts'
import { useMessageActions } from '../mailbox/use-message-actions.ts'
import { Button, IconButton } from '../shared/button.tsx'
import { Icon } from '../shared/icons.tsx'
import { AttachmentList } from './attachment-list.tsx'
import { ChainDetails } from './chain-details.tsx'
import { Conversation } from './conversation.tsx'
import { DeliveryStatusList } from './delivery-status.tsx'
import { HtmlFrame } from './html-frame.tsx'
import { useInlineImages } from './use-inline-images.ts'

/**
 * Runs a follow-up navigation only if the user is still where the action started: a slow archive must
 * not pull them back from the mailbox they have since opened.
 */
export function ifStillHere(fn: () => void): () => void {
  const at = window.location.hash
  return () => {
    if (window.location.hash === at) fn()
  }
}

const htmlToText = (html: string) => new DOMParser().parseFromString(html, 'text/html').body.textContent ?? ''

/** The reading pane: the message rebuilt from its placeholder, with actions and details. */
export function ReaderPane(props: {
  summary: MessageSummary | undefined
  messageId: string | undefined
  onBack: () => void
  onRemoved: () => void
  actionsRef: RefObject<{ reply(all: boolean): void; forward(): void } | null>
  phone: boolean
}) {
  const { api, email, openCompose, store, engine, storage } = useMail()
  const queryClient = useQueryClient()
  const actions = useMessageActions()
  const mailboxes = useMailState(store, (s) => s.mailboxes)
  const [showDetails, setShowDetails] = useState(false)
  const id = props.messageId
  const summary = props.summary

  const query = useQuery({
    // The summary's state is in the key: when sync reports the content arrived, we refetch.
    queryKey: ['message', id, summary?.contentState],
    queryFn: async (): Promise<MessageDetail> => {
      let detail: MessageDetail | undefined
      try {
        ;[detail] = await api.details([id as string])
      } catch (error) {
        // Offline: the copy kept when this message was last opened.
        const offline = isNetworkError(error) ? loadDetail(storage, email, id as string) : undefined
        if (offline) return offline
        throw error
      }
      if (!detail) throw new Error('This message no longer exists.')
      saveDetail(storage, email, detail)
      return detail
    },
    enabled: !!id,
    refetchInterval: (q) => {
      const d = q.state.data
      if (!d) return false
      const inFlight = d.delivery.some(
        (s) => s.state === 'held' || s.state === 'queued' || s.state === 'delayed',
      )
      return d.contentState === 'arriving' || inFlight ? 2000 : false
    },
  })
  const detail = query.data

  const view: MessageView | Error | undefined = useMemo(() => {
    if (!detail) return undefined
    try {
      return reconstructMessage({
        placeholder: detail.placeholder,
        ...(detail.text !== undefined ? { text: detail.text } : {}),
        ...(detail.html !== undefined ? { html: detail.html } : {}),
        resources: detail.resources,
        contentState: detail.contentState,
        ...(detail.contentReason ? { contentReason: detail.contentReason } : {}),
        htmlToText,
      })
    } catch (error) {
      return error as Error
    }
  }, [detail])

  // Opening a message marks it read, once: "mark as unread" while it is open must stick.
  const markedFor = useRef<string | undefined>(undefined)
  useEffect(() => {
    if (!summary || markedFor.current === summary.id) return
    markedFor.current = summary.id
    if (!summary.keywords.includes('$seen')) void actions.markRead(summary)
  }, [summary, actions])

  // Each message starts with its details folded.
  const [detailsFor, setDetailsFor] = useState(id)
  if (detailsFor !== id) {
    setDetailsFor(id)
    setShowDetails(false)
  }

  const ready = view && !(view instanceof Error) && detail ? { view, detail } : undefined
  useImperativeHandle(
    props.actionsRef,
    () => ({
      reply(all: boolean) {
        if (ready)
          openCompose(
            replyDraft(
              { id: ready.detail.id, placeholder: ready.detail.placeholder, view: ready.view },
              { replyAll: all, self: email },
            ),
          )
      },
      forward() {
        if (ready) openCompose(forwardDraftState({ id: ready.detail.id, view: ready.view }))
      },
    }),
    [ready, openCompose, email],
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

  const mailbox = mailboxes.find((m) => m.id === (summary?.mailboxId ?? detail?.mailboxId))
  const inTrash = mailbox?.role === 'trash'
  const starred = (summary?.keywords ?? detail?.keywords ?? []).includes('$flagged')
  const target =
    summary ??
    (detail
      ? ({ ...detail, to: [], subject: '', preview: '', hasAttachment: false } as MessageSummary)
      : undefined)

  const handleUndo = async () => {
    if (!detail) return
    try {
      await api.undoSend(detail.id)
      pushNotice(store, { kind: 'success', text: 'Sending cancelled. The message is back in Drafts.' })
      await engine.syncNow()
      await queryClient.invalidateQueries({ queryKey: ['message', detail.id] })
    } catch (error) {
      pushNotice(store, { kind: 'error', text: `Too late to undo: ${(error as Error).message}` })
    }
  }

  return (
    <Pane aria-label="Reading pane">
      <Toolbar role="toolbar" aria-label="Message actions">
        {props.phone && (
          <IconButton type="button" aria-label="Back to the list" onClick={props.onBack}>
            <Icon name="back" />
          </IconButton>
        )}
        <IconButton
          type="button"
          aria-label="Reply"
          aria-keyshortcuts="r"
          disabled={!ready}
          onClick={() => props.actionsRef.current?.reply(false)}
        >
          <Icon name="reply" />
        </IconButton>
        <IconButton
          type="button"
          aria-label="Reply all"
          aria-keyshortcuts="a"
          disabled={!ready}
          onClick={() => props.actionsRef.current?.reply(true)}
        >
          <Icon name="replyAll" />
        </IconButton>
        <IconButton
          type="button"
          aria-label="Forward"
          aria-keyshortcuts="f"
          disabled={!ready}
          onClick={() => props.actionsRef.current?.forward()}
        >
          <Icon name="forward" />
        </IconButton>
        <Sep />
        <IconButton
          type="button"
          aria-label="Archive"
          aria-keyshortcuts="e"
          disabled={!target}
          onClick={() => target && void actions.archive([target]).then(ifStillHere(props.onRemoved))}
        >
          <Icon name="archive" />
        </IconButton>
        {inTrash ? (
          <IconButton
            type="button"
            aria-label="Restore from Trash"
            disabled={!target}
            onClick={() => target && void actions.restore([target]).then(ifStillHere(props.onRemoved))}
          >
            <Icon name="restore" />
          </IconButton>
        ) : null}
        <IconButton
          type="button"
          aria-label={inTrash ? 'Delete for ever' : 'Move to Trash'}
          aria-keyshortcuts="#"
          disabled={!target}
          onClick={() => target && void actions.remove([target]).then(ifStillHere(props.onRemoved))}
        >
          <Icon name="trash" />
        </IconButton>
        <IconButton
          type="button"
          aria-label="Mark as unread"
          disabled={!target}
          onClick={() =>
            target &&
            void actions
              .toggleRead({ ...target, keywords: [...target.keywords, '$seen'] })
              .then(ifStillHere(props.onBack))
          }
        >
          <Icon name="mailOpen" />
        </IconButton>
        <IconButton
          type="button"
          aria-label={starred ? 'Unstar' : 'Star'}
          aria-pressed={starred}
          $active={starred}
          disabled={!target}
          onClick={() => target && void actions.toggleStar(target)}
        >
          <Icon name="star" filled={starred} />
        </IconButton>
        <MoveSelect
          aria-label="Move to mailbox"
          value=""
          disabled={!target}
          onChange={(e) => {
            const dest = mailboxes.find((m) => m.id === e.target.value)
            if (dest && target)
              void actions.move([target], dest.id, dest.name).then(ifStillHere(props.onRemoved))
          }}
        >
          <option value="">Move to…</option>
          {mailboxes
            .filter((m) => m.id !== mailbox?.id)
            .map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
        </MoveSelect>
        <Sep />
        <IconButton
          type="button"
          aria-label="Show details"
          aria-expanded={showDetails}
          $active={showDetails}
          onClick={() => setShowDetails((v) => !v)}
        >
          <Icon name="shield" />
        </IconButton>
      </Toolbar>

      <Content>
        {query.isLoading && <Status role="status">Loading message…</Status>}
        {query.error && (
          <Status role="alert">
            Could not load this message: {query.error.message}{' '}
            <Button $size="small" onClick={() => void query.refetch()}>
              Retry
            </Button>
          </Status>
        )}
        {view instanceof Error && (
          <Status role="alert">This message is malformed and cannot be shown: {view.message}</Status>
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
            <Conversation threadId={summary?.threadId ?? undefined} currentId={ready.detail.id} />
            <Meta>
              <div>
                <strong>{ready.view.from.name ?? ready.view.from.address}</strong>{' '}
                {ready.view.from.name && <span className="addr">&lt;{ready.view.from.address}&gt;</span>}
              </div>
              <div className="addr">
                To: {ready.view.to.map((a) => a.name ?? a.address).join(', ') || '—'}
                {ready.view.cc.length > 0 && (
                  <> · Cc: {ready.view.cc.map((a) => a.name ?? a.address).join(', ')}</>
                )}
                {ready.view.bcc.length > 0 && (
                  <> · Bcc: {ready.view.bcc.map((a) => a.name ?? a.address).join(', ')}</>
                )}
              </div>
              {ready.view.date && (
                <time dateTime={ready.view.date.toISOString()}>{formatFullDate(ready.view.date)}</time>
              )}
            </Meta>
            <DeliveryStatusList
              delivery={ready.detail.delivery}
              holdUntil={ready.detail.holdUntil}
              onUndo={() => void handleUndo()}
            />
            {showDetails && <ChainDetails chain={ready.detail.chain} envelope={ready.view.envelope} />}
            <Body view={ready.view} messageId={ready.detail.id} />
            <AttachmentList attachments={ready.view.attachments} />
          </Article>
        )}
      </Content>
    </Pane>
  )
}

function Body(props: { view: MessageView; messageId: string }) {
  const body = props.view.body
  const resolveCid = useInlineImages(props.messageId, props.view.inlineResources)
  switch (body.kind) {
    case 'html':
      return <HtmlFrame html={body.html} resolveCid={resolveCid} />
    case 'text':
      return (
        <TextBody data-testid="message-text">
          {linkify(body.text).map((t, i) =>
            t.kind === 'link' ? (
              // biome-ignore lint/suspicious/noArrayIndexKey: tokens are positional and never reorder
              <a key={i} href={t.href} target="_blank" rel="noopener noreferrer">
                {t.text}
              </a>
            ) : (
              t.text
            ),
          )}
        </TextBody>
      )
    case 'arriving':
      return (
        <Status role="status">
          Content arriving… The mailbox is fetching this message from the sender’s server.
        </Status>
      )
    case 'unavailable':
      return <Status role="alert">Content unavailable: {body.reason}</Status>
    default:
      return <Status>(This message has no text.)</Status>
  }
}

const Pane = styled.section`
  display: flex;
  flex-direction: column;
  min-height: 0;
  min-width: 0;
  background: ${(p) => p.theme.color.surface};
`

const Toolbar = styled.div`
  display: flex;
  align-items: center;
  gap: 2px;
  padding: 6px 8px;
  border-bottom: 1px solid ${(p) => p.theme.color.border};
  flex-wrap: wrap;
`

const Sep = styled.span`
  width: 1px;
  height: 22px;
  background: ${(p) => p.theme.color.border};
  margin: 0 6px;
`

const MoveSelect = styled.select`
  margin-left: 4px;
  padding: 6px 8px;
  border-radius: ${(p) => p.theme.radius};
  border: 1px solid ${(p) => p.theme.color.border};
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

const Meta = styled.div`
  display: flex;
  flex-direction: column;
  gap: 2px;
  margin-bottom: 12px;
  padding-bottom: 12px;
  border-bottom: 1px solid ${(p) => p.theme.color.border};
  .addr,
  time {
    color: ${(p) => p.theme.color.textMuted};
    font-size: 0.88rem;
  }
`

const EditDraft = styled.div`
  margin-bottom: 12px;
`

const TextBody = styled.div`
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  line-height: 1.55;
  a {
    color: ${(p) => p.theme.color.accent};
  }
`

const Status = styled.p`
  padding: 16px;
  border-radius: ${(p) => p.theme.radius};
  background: ${(p) => p.theme.color.surfaceAlt};
  color: ${(p) => p.theme.color.textMuted};
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
