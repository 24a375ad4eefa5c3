import { useVirtualizer } from '@tanstack/react-virtual'
import { type ReactNode, useEffect, useRef } from 'react'
import styled from 'styled-components'
import type { MailboxRole, MessageSummary } from '../../api/types.ts'
import { Icon } from '../../components/icons.tsx'
import { Problem } from '../../components/problem.tsx'
import type { Explained } from '../../lib/explain.ts'
import { formatListDate, initials } from '../../lib/format.ts'
import { highlightParts } from '../../lib/highlight.ts'
import type { ThreadRow } from '../../lib/thread-rows.ts'
import { usePrefs } from '../../state/prefs.ts'
import { useMessageActions } from './use-message-actions.ts'

/** The drag data of message rows: a JSON array of message ids (mailbox-nav.tsx takes the drop). */
export const DRAG_TYPE = 'application/x-federizer-messages'

const ROW_HEIGHT = 78
/** List density 'compact' (settings): no preview line. */
const COMPACT_ROW_HEIGHT = 56

/** The virtualised message list: only the visible rows are in the DOM, so 10,000 messages scroll. */
export function MessageList(props: {
  title: string
  items: MessageSummary[]
  selectedId: string | undefined
  loading: boolean
  error?: Explained | undefined
  mailboxRole: MailboxRole | null
  onOpen: (m: MessageSummary) => void
  /** The message's own address (#/m/<mailbox>/<id>): opens in a new tab too. */
  hrefFor: (m: MessageSummary) => string
  onEndReached: () => void
  phoneNav: ReactNode
  /** Conversation mode: the thread each row stands for (count, participants), by its newest message. */
  threads?: ReadonlyMap<string, ThreadRow<MessageSummary>> | undefined
  /** Search results: the query's words to mark, and each result's folder by mailbox id. */
  highlight?: readonly string[] | undefined
  folderNames?: ReadonlyMap<string, string> | undefined
  /** Bulk work: the checked rows (by their message id), a checkbox click, and the bar above the list. */
  checked: ReadonlySet<string>
  onCheck: (m: MessageSummary, shift: boolean) => void
  toolbar?: ReactNode
  /** Drag and drop onto a folder: the message ids a drag of this row carries. */
  dragIds: (m: MessageSummary) => string[]
}) {
  const { items, onEndReached } = props
  const scrollRef = useRef<HTMLDivElement>(null)
  const actions = useMessageActions()
  const compact = usePrefs().density === 'compact'
  const rowHeight = compact ? COMPACT_ROW_HEIGHT : ROW_HEIGHT
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 8,
    // Rows for a typical pane before the first measurement, so the first paint is not empty.
    initialRect: { width: 400, height: 800 },
  })
  const virtualItems = virtualizer.getVirtualItems()
  const lastIndex = virtualItems.at(-1)?.index ?? 0

  useEffect(() => {
    if (items.length > 0 && lastIndex >= items.length - 10) onEndReached()
  }, [lastIndex, items.length, onEndReached])

  // Keep the selected row in view when j/k moves the selection.
  const selectedIndex = items.findIndex((m) => m.id === props.selectedId)
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' })
  }, [selectedIndex, virtualizer])
  // A density change re-measures every row.
  useEffect(() => {
    if (rowHeight) virtualizer.measure()
  }, [rowHeight, virtualizer])

  const now = new Date()
  const showRecipient = props.mailboxRole === 'sent' || props.mailboxRole === 'drafts'

  return (
    <Section aria-labelledby="list-title">
      {props.phoneNav}
      <Heading>
        <h1 id="list-title">{props.title}</h1>
        <span>{items.length > 0 ? `${items.length} shown` : ''}</span>
      </Heading>
      {props.toolbar}
      <Scroll ref={scrollRef} data-testid="message-list">
        {props.error && (
          <Empty as="div" role="alert">
            <Problem problem={props.error} />
          </Empty>
        )}
        {!props.error && items.length === 0 && (
          <Empty role="status">{props.loading ? 'Loading messages…' : 'No messages here.'}</Empty>
        )}
        <ul style={{ height: virtualizer.getTotalSize() }} aria-label={`${props.title} messages`}>
          {virtualItems.map((row) => {
            const m = items[row.index]
            if (!m) return null
            const thread = props.threads?.get(m.id)
            const unread = thread?.unread ?? !m.keywords.includes('$seen')
            const starred = m.keywords.includes('$flagged')
            const who = showRecipient
              ? `To: ${m.to.map((a) => a.name ?? a.address).join(', ') || '(no recipients)'}`
              : thread && thread.count > 1
                ? thread.participants.join(', ')
                : (m.from?.name ?? m.from?.address ?? '(unknown sender)')
            const date = new Date(m.receivedAt)
            return (
              <Row
                key={m.id}
                style={{ transform: `translateY(${row.start}px)`, height: rowHeight }}
                data-density={compact ? 'compact' : 'comfortable'}
                aria-setsize={items.length}
                aria-posinset={row.index + 1}
                $selected={m.id === props.selectedId}
                $unread={unread}
                data-testid="message-row"
                draggable
                onDragStart={(e) => {
                  e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(props.dragIds(m)))
                  e.dataTransfer.effectAllowed = 'move'
                }}
              >
                <Check
                  type="checkbox"
                  aria-label={`Select ${m.subject || '(no subject)'}`}
                  checked={props.checked.has(m.id)}
                  // A click (not change) event: it carries Shift for range selection.
                  onClick={(e) => props.onCheck(m, e.shiftKey)}
                  onChange={() => undefined}
                />
                <Avatar aria-hidden="true">{initials(m.from?.name ?? m.from?.address ?? '?')}</Avatar>
                <a
                  href={props.hrefFor(m)}
                  aria-current={m.id === props.selectedId ? 'true' : undefined}
                  onClick={(e) => {
                    e.preventDefault()
                    props.onOpen(m)
                  }}
                >
                  <Line>
                    <Who>
                      {unread && <span className="visually-hidden">Unread. </span>}
                      <Marked text={who} terms={props.highlight} />
                    </Who>
                    {thread && thread.count > 1 && (
                      <Count data-testid="thread-count" aria-label={`${thread.count} messages`}>
                        {thread.count}
                      </Count>
                    )}
                    <When dateTime={date.toISOString()}>{formatListDate(date, now)}</When>
                  </Line>
                  <Line>
                    <Subject>
                      <Marked text={m.subject || '(no subject)'} terms={props.highlight} />
                    </Subject>
                    {props.folderNames?.has(m.mailboxId) && (
                      <Folder data-testid="result-folder">{props.folderNames.get(m.mailboxId)}</Folder>
                    )}
                    {(thread?.hasAttachment ?? m.hasAttachment) && (
                      <Marker title="Has attachments">
                        <Icon name="attach" size={15} title="Has attachments" />
                      </Marker>
                    )}
                  </Line>
                  {!compact && (
                    <Preview>
                      {m.contentState === 'arriving' ? (
                        'Content arriving…'
                      ) : (
                        <Marked text={m.preview} terms={props.highlight} />
                      )}
                    </Preview>
                  )}
                </a>
                <Star
                  type="button"
                  aria-pressed={starred}
                  aria-label={starred ? 'Unstar' : 'Star'}
                  $on={starred}
                  onClick={() => void actions.toggleStar(m)}
                >
                  <Icon name="star" filled={starred} size={17} />
                </Star>
              </Row>
            )
          })}
        </ul>
      </Scroll>
    </Section>
  )
}

const Section = styled.section`
  display: flex;
  flex-direction: column;
  min-height: 0;
  min-width: 0;
  background: ${(p) => p.theme.color.surface};
  border-right: 1px solid ${(p) => p.theme.color.border};
`

const Heading = styled.div`
  display: flex;
  align-items: baseline;
  justify-content: space-between;
  padding: 14px 16px 10px;
  border-bottom: 1px solid ${(p) => p.theme.color.border};
  gap: 12px;
  h1 {
    margin: 0;
    min-width: 0;
    font-size: 1.15rem;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  /* The count keeps its one line; a long folder name is the one that gives way (ellipsis). */
  span {
    flex-shrink: 0;
    white-space: nowrap;
    font-size: 0.85rem;
    color: ${(p) => p.theme.color.textMuted};
  }
`

const Scroll = styled.div`
  flex: 1;
  overflow: auto;
  position: relative;
  ul {
    list-style: none;
    margin: 0;
    padding: 0;
    position: relative;
  }
`

const Empty = styled.p`
  padding: 32px 16px;
  text-align: center;
  color: ${(p) => p.theme.color.textMuted};
`

const Row = styled.li<{ $selected: boolean; $unread: boolean }>`
  position: absolute;
  top: 0;
  left: 0;
  right: 0;
  height: ${ROW_HEIGHT}px;
  display: flex;
  align-items: flex-start;
  gap: 10px;
  padding: 10px 8px 10px 12px;
  &[data-density='compact'] {
    padding: 7px 8px 7px 12px;
  }
  border-bottom: 1px solid ${(p) => p.theme.color.border};
  background: ${(p) => (p.$selected ? p.theme.color.selected : p.$unread ? p.theme.color.surface : p.theme.color.surfaceAlt)};
  border-left: 4px solid ${(p) => (p.$unread ? p.theme.color.accent : 'transparent')};
  font-weight: ${(p) => (p.$unread ? 700 : 400)};
  &:hover {
    background: ${(p) => (p.$selected ? p.theme.color.selected : p.theme.color.hover)};
  }
  a {
    flex: 1;
    min-width: 0;
    color: inherit;
    text-decoration: none;
    display: flex;
    flex-direction: column;
    gap: 1px;
    outline-offset: -2px;
  }
`

const Check = styled.input`
  flex: none;
  width: 16px;
  height: 16px;
  margin: 9px 0 0;
  accent-color: ${(p) => p.theme.color.accent};
`

const Avatar = styled.span`
  flex: none;
  width: 34px;
  height: 34px;
  border-radius: 50%;
  display: grid;
  place-items: center;
  font-size: 0.8rem;
  font-weight: 700;
  background: ${(p) => p.theme.color.accentSoft};
  color: ${(p) => p.theme.color.accent};
`

const Line = styled.span`
  display: flex;
  align-items: center;
  gap: 8px;
  min-width: 0;
`

const Who = styled.span`
  flex: 1;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
`

/** `text` with the search words marked (<mark>); plain text without a search. */
function Marked(props: { text: string; terms: readonly string[] | undefined }) {
  if (!props.terms?.length) return props.text
  return highlightParts(props.text, props.terms).map((part, i) =>
    // biome-ignore lint/suspicious/noArrayIndexKey: parts are positional and never reorder
    part.match ? <mark key={i}>{part.text}</mark> : part.text,
  )
}

const Folder = styled.span`
  flex: none;
  max-width: 40%;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
  padding: 0 6px;
  border: 1px solid ${(p) => p.theme.color.border};
  border-radius: 4px;
  font-size: 0.75rem;
  color: ${(p) => p.theme.color.textMuted};
`

const Count = styled.span`
  flex: none;
  min-width: 20px;
  padding: 0 6px;
  border-radius: 999px;
  font-size: 0.75rem;
  font-weight: 700;
  line-height: 18px;
  text-align: center;
  background: ${(p) => p.theme.color.surfaceAlt};
  color: ${(p) => p.theme.color.textMuted};
`

const When = styled.time`
  flex: none;
  font-size: 0.8rem;
  color: ${(p) => p.theme.color.textMuted};
`

const Subject = styled.span`
  flex: 1;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
  font-size: 0.93rem;
`

const Marker = styled.span`
  flex: none;
  color: ${(p) => p.theme.color.textMuted};
  display: inline-flex;
`

const Preview = styled.span`
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
  font-size: 0.85rem;
  font-weight: 400;
  color: ${(p) => p.theme.color.textMuted};
`

const Star = styled.button<{ $on: boolean }>`
  flex: none;
  border: none;
  background: none;
  cursor: pointer;
  padding: 4px;
  border-radius: 50%;
  color: ${(p) => (p.$on ? p.theme.color.star : p.theme.color.textMuted)};
  &:hover {
    background: ${(p) => p.theme.color.hover};
  }
`
