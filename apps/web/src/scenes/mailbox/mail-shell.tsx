import { useQuery } from '@tanstack/react-query'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import styled from 'styled-components'
import type { MessageSummary } from '../../api/types.ts'
import { formatHash, useHashRoute } from '../../app/use-hash-route.ts'
import { useMedia } from '../../app/use-media.ts'
import { ErrorBoundary } from '../../components/error-boundary.tsx'
import { explainError } from '../../lib/explain.ts'
import { searchTerms } from '../../lib/highlight.ts'
import { clickRow, emptySelection, pruneSelection, toggleAll } from '../../lib/selection.ts'
import { shortcutFor } from '../../lib/shortcuts.ts'
import { applyPending, mailboxView } from '../../lib/sync-merge.ts'
import { groupByThread } from '../../lib/thread-rows.ts'
import { useMail } from '../../state/mail-context.ts'
import { useMailState } from '../../state/mail-store.ts'
import { usePrefs, useSettings } from '../../state/prefs.ts'
import { ifStillHere, ReaderPane } from '../reader/reader-pane.tsx'
import { BulkToolbar } from './bulk-toolbar.tsx'
import { MailboxNav } from './mailbox-nav.tsx'
import { MessageList } from './message-list.tsx'
import { Notices } from './notices.tsx'
import { TopBar } from './top-bar.tsx'
import { useBulkActions } from './use-bulk-actions.ts'
import { useMessageActions } from './use-message-actions.ts'

/** The signed-in layout: mailboxes | message list | reading pane (single pane on a phone). */
export function MailShell(props: { composeOpen: boolean }) {
  const { store, engine, api, openCompose, openHelp } = useMail()
  const phone = useMedia('(max-width: 760px)')
  const [route, navigate] = useHashRoute()
  const mailboxes = useMailState(store, (s) => s.mailboxes)
  const cache = useMailState(store, (s) => s.cache)
  const pending = useMailState(store, (s) => s.pending)
  const searchRef = useRef<HTMLInputElement>(null)
  const readerActions = useRef<{ reply(all: boolean): void; forward(): void } | null>(null)

  const inbox = mailboxes.find((m) => m.role === 'inbox')
  const inboxId = inbox?.id
  const mailboxId = route.search !== undefined ? undefined : (route.mailboxId ?? inbox?.id)
  const mailbox = mailboxes.find((m) => m.id === mailboxId)

  // Load the first page of a mailbox the first time it is opened.
  const cursors = useMailState(store, (s) => s.cursors)
  useEffect(() => {
    if (mailboxId && cache.state !== null && !(mailboxId in cursors)) {
      engine.loadMailbox(mailboxId).catch(() => undefined)
    }
  }, [mailboxId, cache.state, cursors, engine])

  const search = useQuery({
    queryKey: ['search', route.search],
    queryFn: () => api.search({ query: route.search ?? '', limit: 100 }),
    enabled: !!route.search,
  })

  const pendingChanges = useMemo(() => pending.map((p) => p.change), [pending])
  // Conversation mode (a setting, on by default): one row per thread in a mailbox; search lists messages.
  const threaded = (useSettings().data?.conversationView ?? true) && route.search === undefined
  const { items, threads } = useMemo(() => {
    if (route.search !== undefined) {
      const found = (search.data ?? [])
        .map((m) => applyPending(cache.messages.get(m.id) ?? m, pendingChanges))
        .filter((m): m is MessageSummary => m !== undefined)
      return { items: found, threads: undefined }
    }
    const listed = mailboxId ? mailboxView(cache, mailboxId, pendingChanges) : []
    if (!threaded) return { items: listed, threads: undefined }
    const rows = groupByThread(listed)
    return { items: rows.map((r) => r.message), threads: new Map(rows.map((r) => [r.message.id, r])) }
  }, [route.search, search.data, cache, mailboxId, pendingChanges, threaded])

  // Bulk selection: checked rows (by their newest message's id); a new folder or search starts empty.
  const viewKey = `${mailboxId ?? ''}|${route.search ?? ''}`
  const [checks, setChecks] = useState({ key: viewKey, sel: emptySelection, allInFolder: false })
  const order = useMemo(() => items.map((m) => m.id), [items])
  const current = checks.key === viewKey ? checks : { key: viewKey, sel: emptySelection, allInFolder: false }
  const selection = pruneSelection(current.sel, order)
  const setSelection = (sel: typeof selection, allInFolder = false) =>
    setChecks({ key: viewKey, sel, allInFolder })
  /** The messages a set of rows stands for: in conversation mode every message of each thread. */
  const messagesOf = (rowIds: Iterable<string>) =>
    [...rowIds].flatMap((id) => {
      const m = items.find((i) => i.id === id)
      return m ? (threads?.get(id)?.messages ?? [m]) : []
    })
  const bulk = useBulkActions()
  const dropOnFolder = (targetId: string, ids: string[]) => {
    const target = mailboxes.find((b) => b.id === targetId)
    const msgs = ids.map((id) => cache.messages.get(id)).filter((m): m is MessageSummary => !!m)
    if (!target || msgs.length === 0) return
    setSelection(emptySelection)
    void bulk.move(msgs, target.id, `moved to ${target.name}`)
  }

  const selectedId = route.messageId
  const selectedIndex = items.findIndex((m) => m.id === selectedId)
  const selected =
    selectedIndex >= 0 ? items[selectedIndex] : selectedId ? cache.messages.get(selectedId) : undefined

  const openMessage = useCallback(
    (id: string | undefined) => {
      if (route.search !== undefined) navigate({ search: route.search, ...(id ? { messageId: id } : {}) })
      else if (mailboxId) navigate({ mailboxId, ...(id ? { messageId: id } : {}) })
    },
    [navigate, route.search, mailboxId],
  )

  const actions = useMessageActions()
  const step = useCallback(
    (delta: number) => {
      if (items.length === 0) return
      const next =
        items[Math.min(items.length - 1, Math.max(0, (selectedIndex < 0 ? -1 : selectedIndex) + delta))]
      if (next) openMessage(next.id)
    },
    [items, selectedIndex, openMessage],
  )
  const afterRemove = useCallback(() => {
    // Gmail-like: after archive/delete show the next (older) message, else the previous, else the list.
    const next = items[selectedIndex + 1] ?? items[selectedIndex - 1]
    openMessage(phone ? undefined : next?.id)
  }, [items, selectedIndex, openMessage, phone])

  useEffect(() => {
    const handleKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null
      const action = shortcutFor({
        key: event.key,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
        altKey: event.altKey,
        ...(target?.tagName ? { targetTag: target.tagName } : {}),
        targetEditable: !!target?.isContentEditable,
      })
      if (!action) return
      if (props.composeOpen && action !== 'close') return
      if (document.querySelector('dialog[open]') && action !== 'close') return
      switch (action) {
        case 'compose':
          openCompose()
          break
        case 'reply':
          readerActions.current?.reply(false)
          break
        case 'replyAll':
          readerActions.current?.reply(true)
          break
        case 'forward':
          readerActions.current?.forward()
          break
        case 'next':
          step(1)
          break
        case 'previous':
          step(-1)
          break
        case 'archive':
          if (selected) actions.archive([selected]).then(ifStillHere(afterRemove))
          break
        case 'delete':
          if (selected) actions.remove([selected]).then(ifStillHere(afterRemove))
          break
        case 'toggleStar':
          if (selected) actions.toggleStar(selected)
          break
        case 'toggleRead':
          if (selected) actions.toggleRead(selected)
          break
        case 'search':
          searchRef.current?.focus()
          break
        case 'help':
          openHelp()
          break
        case 'close':
          if (document.querySelector('dialog[open]')) return
          if (selectedId) openMessage(undefined)
          else if (route.search !== undefined) navigate(inboxId ? { mailboxId: inboxId } : {})
          else return
          break
      }
      event.preventDefault()
    }
    window.addEventListener('keydown', handleKey)
    return () => window.removeEventListener('keydown', handleKey)
  }, [
    props.composeOpen,
    openCompose,
    step,
    selected,
    selectedId,
    actions,
    afterRemove,
    openHelp,
    openMessage,
    route.search,
    navigate,
    inboxId,
  ])

  // The tab title carries the unread count, like every mail client people know.
  const inboxUnread = inbox?.unread ?? 0
  useEffect(() => {
    document.title = inboxUnread > 0 ? `(${inboxUnread}) Inbox · Federizer Mail` : 'Federizer Mail'
  }, [inboxUnread])

  // Reading pane (settings): right of the list, below it, or off (a message opens full size).
  const preferredPane = usePrefs().readingPane
  const pane = phone ? 'off' : preferredPane
  const showList = pane !== 'off' || !selectedId
  const showReader = pane !== 'off' || !!selectedId
  const title = route.search !== undefined ? `Search: ${route.search}` : (mailbox?.name ?? 'Inbox')

  return (
    <Layout>
      <TopBar
        searchRef={searchRef}
        initialSearch={route.search ?? ''}
        onSearch={(q) => navigate(q ? { search: q } : inbox ? { mailboxId: inbox.id } : {})}
      />
      <Notices />
      <Columns $phone={phone} data-pane={pane} data-testid="mail-columns">
        {!phone && (
          <MailboxNav
            mailboxes={mailboxes}
            currentId={mailboxId}
            onSelect={(id) => navigate({ mailboxId: id })}
            onDropMessages={dropOnFolder}
          />
        )}
        {showList && (
          <MessageList
            title={title}
            items={items}
            selectedId={selectedId}
            loading={route.search !== undefined ? search.isLoading : cache.state === null}
            error={search.error ? explainError(search.error, 'Search failed') : undefined}
            mailboxRole={mailbox?.role ?? null}
            threads={threads}
            highlight={route.search !== undefined ? searchTerms(route.search) : undefined}
            folderNames={
              route.search !== undefined ? new Map(mailboxes.map((b) => [b.id, b.name])) : undefined
            }
            onOpen={(m) => openMessage(m.id)}
            checked={selection.ids}
            onCheck={(m, shift) => setSelection(clickRow(selection, order, m.id, shift))}
            dragIds={(m) =>
              (selection.ids.has(m.id) ? messagesOf(selection.ids) : messagesOf([m.id])).map((x) => x.id)
            }
            toolbar={
              <BulkToolbar
                selected={messagesOf(selection.ids)}
                rowsChecked={selection.ids.size}
                rowsInView={order.length}
                onToggleAll={() => setSelection(toggleAll(selection, order))}
                folder={route.search === undefined ? mailbox : undefined}
                allInFolder={current.allInFolder}
                onAllInFolder={(on) => setSelection(selection, on)}
                mailboxes={mailboxes}
                onDone={() => setSelection(emptySelection)}
              />
            }
            hrefFor={(m) =>
              formatHash(
                route.search !== undefined
                  ? { search: route.search, messageId: m.id }
                  : { mailboxId: m.mailboxId, messageId: m.id },
              )
            }
            onEndReached={() => {
              if (mailboxId) engine.loadMore(mailboxId).catch(() => undefined)
            }}
            phoneNav={
              phone ? (
                <MailboxNav
                  compact
                  mailboxes={mailboxes}
                  currentId={mailboxId}
                  onSelect={(id) => navigate({ mailboxId: id })}
                />
              ) : null
            }
          />
        )}
        {showReader && (
          <ErrorBoundary label="reading pane" resetKey={selectedId}>
            <ReaderPane
              summary={selected}
              messageId={selectedId}
              onBack={() => openMessage(undefined)}
              onRemoved={afterRemove}
              actionsRef={readerActions}
              phone={phone}
            />
          </ErrorBoundary>
        )}
      </Columns>
    </Layout>
  )
}

const Layout = styled.div`
  display: flex;
  flex-direction: column;
  height: 100%;
`

const Columns = styled.div<{ $phone: boolean }>`
  flex: 1;
  min-height: 0;
  display: grid;
  grid-template-columns: ${(p) => (p.$phone ? '1fr' : '220px minmax(300px, 400px) 1fr')};
  @media (max-width: 1100px) {
    grid-template-columns: ${(p) => (p.$phone ? '1fr' : '190px minmax(260px, 340px) 1fr')};
  }
  &[data-pane='off'] {
    grid-template-columns: ${(p) => (p.$phone ? '1fr' : '220px 1fr')};
  }
  &[data-pane='bottom'] {
    grid-template-columns: 220px 1fr;
    grid-template-rows: minmax(180px, 42%) 1fr;
    & > :first-child {
      grid-row: 1 / 3;
    }
    & > :nth-child(2) {
      border-bottom: 1px solid ${(p) => p.theme.color.border};
    }
  }
  @media (max-width: 1100px) {
    &[data-pane='off'],
    &[data-pane='bottom'] {
      grid-template-columns: ${(p) => (p.$phone ? '1fr' : '190px 1fr')};
    }
  }
`
