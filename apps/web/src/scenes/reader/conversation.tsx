import { useQuery } from '@tanstack/react-query'
import { useEffect, useRef, useState } from 'react'
import styled from 'styled-components'
import type { MessageDetail, MessageSummary } from '../../api/types.ts'
import { Problem } from '../../components/problem.tsx'
import { conversationOrder, startsExpanded } from '../../lib/conversation.ts'
import { explainError } from '../../lib/explain.ts'
import { formatListDate, initials, plural } from '../../lib/format.ts'
import type { MessageView } from '../../lib/message-view.ts'
import { useMail } from '../../state/mail-context.ts'
import { useMailState } from '../../state/mail-store.ts'
import { useMessageActions } from '../mailbox/use-message-actions.ts'
import { Status } from './message-body.tsx'
import { MessageContent } from './message-content.tsx'
import { useMessageDetail } from './use-message-detail.ts'

type Ready = { detail: MessageDetail; view: MessageView }

/**
 * The conversation view: every message of the thread (X-Thread-ID / References) as a card, oldest
 * first. The opened, the newest and unread messages are open; older ones are one line each and open
 * on a click. A message of the thread that arrives while it is open joins the stack at once.
 */
export function Conversation(props: { threadId: string | undefined; current: Ready; showDetails: boolean }) {
  const { api, store } = useMail()
  const currentId = props.current.detail.id
  // Messages of this thread the sync engine knows: a new arrival changes the key, so the view refetches.
  const known = useMailState(store, (s) => {
    if (!props.threadId) return 0
    let n = 0
    for (const m of s.cache.messages.values()) if (m.threadId === props.threadId) n++
    return n
  })
  const query = useQuery({
    queryKey: ['thread', props.threadId, known],
    queryFn: () => api.thread(props.threadId as string),
    enabled: !!props.threadId,
    staleTime: 10_000,
    placeholderData: (previous) => previous,
  })
  const items = conversationOrder(query.data ?? [])
  const newestId = items.at(-1)?.id
  // Whether a card starts open is decided once per card (a card marked read stays open).
  const opened = useRef(new Map<string, boolean>())
  const [, rerender] = useState(0)
  const expanded = (m: MessageSummary) => {
    let open = opened.current.get(m.id)
    if (open === undefined) {
      open = startsExpanded(m, { currentId, newestId })
      opened.current.set(m.id, open)
    }
    return open
  }
  const toggle = (id: string) => {
    opened.current.set(id, !opened.current.get(id))
    rerender((n) => n + 1)
  }

  if (items.length < 2 || !items.some((m) => m.id === currentId)) {
    return <MessageContent {...props.current} showDetails={props.showDetails} />
  }
  return (
    <Stack aria-label="Conversation">
      <p className="count">Conversation · {plural(items.length, 'message')}</p>
      <ol>
        {items.map((m) => (
          <ThreadCard
            key={m.id}
            summary={m}
            expanded={expanded(m)}
            onToggle={() => toggle(m.id)}
            {...(m.id === currentId ? { current: props.current } : {})}
            showDetails={m.id === currentId && props.showDetails}
          />
        ))}
      </ol>
    </Stack>
  )
}

function ThreadCard(props: {
  summary: MessageSummary
  expanded: boolean
  onToggle: () => void
  current?: Ready
  showDetails: boolean
}) {
  const m = props.summary
  const ref = useRef<HTMLLIElement>(null)
  const isCurrent = !!props.current
  useEffect(() => {
    // The opened message comes into view below the (collapsed) older ones.
    if (isCurrent && ref.current && ref.current.offsetTop > 200)
      ref.current.scrollIntoView({ block: 'start' })
  }, [isCurrent])
  const who = m.from?.name ?? m.from?.address ?? '?'
  const received = new Date(m.receivedAt)
  return (
    <Card
      ref={ref}
      data-testid="thread-message"
      data-expanded={props.expanded ? 'true' : 'false'}
      aria-current={isCurrent ? 'true' : undefined}
    >
      <button type="button" className="head" aria-expanded={props.expanded} onClick={props.onToggle}>
        <Avatar aria-hidden="true">{initials(who)}</Avatar>
        <strong className="who">{who}</strong>
        {props.expanded ? (
          m.from?.name && <span className="addr">&lt;{m.from.address}&gt;</span>
        ) : (
          <span className="preview">{m.preview}</span>
        )}
        <time dateTime={received.toISOString()}>{formatListDate(received, new Date())}</time>
      </button>
      {props.expanded && (
        <div className="content">
          {props.current ? (
            <MessageContent {...props.current} showDetails={props.showDetails} inCard />
          ) : (
            <LoadedContent summary={m} />
          )}
        </div>
      )}
    </Card>
  )
}

/** An opened card of another message: its detail is loaded when it opens, and it counts as read. */
function LoadedContent(props: { summary: MessageSummary }) {
  const actions = useMessageActions()
  const { query, detail, view } = useMessageDetail(props.summary.id, props.summary, actions.markRead)
  if (query.isLoading) return <Status role="status">Loading message…</Status>
  if (query.error)
    return (
      <Status as="div" role="alert">
        <Problem problem={explainError(query.error, 'Could not load this message')} />
      </Status>
    )
  if (view instanceof Error)
    return (
      <Status as="div" role="alert">
        <Problem
          problem={{ sentence: 'This message is damaged and cannot be shown.', detail: view.message }}
        />
      </Status>
    )
  if (!detail || !view) return null
  return <MessageContent detail={detail} view={view} showDetails={false} inCard />
}

const Stack = styled.section`
  display: flex;
  flex-direction: column;
  flex: 1;
  .count {
    margin: 0 0 8px;
    font-size: 0.88rem;
    font-weight: 600;
    color: ${(p) => p.theme.color.textMuted};
  }
  ol {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: 8px;
  }
`

const Card = styled.li`
  display: flex;
  flex-direction: column;
  border: 1px solid ${(p) => p.theme.color.border};
  border-radius: ${(p) => p.theme.radius};
  background: ${(p) => p.theme.color.surface};
  &[data-expanded='true'] {
    box-shadow: 0 1px 3px rgba(20, 24, 33, 0.08);
  }
  &[aria-current='true'] {
    border-color: ${(p) => p.theme.color.accent};
  }
  .head {
    display: flex;
    align-items: center;
    gap: 10px;
    width: 100%;
    min-width: 0;
    padding: 10px 14px;
    border: none;
    background: none;
    color: inherit;
    font: inherit;
    text-align: left;
    cursor: pointer;
    border-radius: ${(p) => p.theme.radius};
  }
  .head:hover {
    background: ${(p) => p.theme.color.hover};
  }
  .who {
    flex: none;
    max-width: 40%;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .addr,
  .preview {
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    color: ${(p) => p.theme.color.textMuted};
    font-size: 0.88rem;
  }
  time {
    flex: none;
    margin-left: auto;
    color: ${(p) => p.theme.color.textMuted};
    font-size: 0.85rem;
  }
  .content {
    display: flex;
    flex-direction: column;
    flex: 1;
    padding: 0 14px 14px 58px;
    @media (max-width: 760px) {
      padding: 0 12px 12px;
    }
  }
`

const Avatar = styled.span`
  flex: none;
  width: 32px;
  height: 32px;
  border-radius: 50%;
  display: grid;
  place-items: center;
  font-size: 0.78rem;
  font-weight: 700;
  background: ${(p) => p.theme.color.accentSoft};
  color: ${(p) => p.theme.color.accent};
`
