import { useQuery } from '@tanstack/react-query'
import { useEffect, useMemo, useRef } from 'react'
import { isNetworkError, type MailApi } from '../../api/mail-api.ts'
import type { MessageDetail, MessageSummary } from '../../api/types.ts'
import { type MessageView, reconstructMessage } from '../../lib/message-view.ts'
import { loadDetail, saveDetail } from '../../lib/offline-cache.ts'
import type { KeyValueStorage } from '../../lib/offline-queue.ts'
import { useMail } from '../../state/mail-context.ts'

export const REFETCH_MS = 2000

/** Refetch while the content is still arriving or a delivery is in flight; otherwise the copy is final. */
export function refetchInterval(detail: MessageDetail | undefined): number | false {
  if (!detail) return false
  const inFlight = detail.delivery.some(
    (s) => s.state === 'held' || s.state === 'queued' || s.state === 'delayed',
  )
  return detail.contentState === 'arriving' || inFlight ? REFETCH_MS : false
}

/**
 * Loads one message: from the api (keeping a copy for offline reading), or — only when the network is
 * down — from that copy. A server that answers no, or a message gone, is an error.
 */
export async function loadMessageDetail(
  api: Pick<MailApi, 'details'>,
  storage: KeyValueStorage,
  account: string,
  id: string,
): Promise<MessageDetail> {
  let detail: MessageDetail | undefined
  try {
    ;[detail] = await api.details([id])
  } catch (error) {
    const offline = isNetworkError(error) ? loadDetail(storage, account, id) : undefined
    if (offline) return offline
    throw error
  }
  if (!detail) throw new Error('This message no longer exists.')
  saveDetail(storage, account, detail)
  return detail
}

/** The message rebuilt from its placeholder, or the reason it cannot be (a damaged message). */
export function messageViewOf(
  detail: MessageDetail,
  htmlToText: (html: string) => string,
): MessageView | Error {
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
}

/** Opening a message marks it read once: "mark as unread" while it stays open must stick. */
export function shouldMarkRead(
  summary: MessageSummary | undefined,
  alreadyMarkedId: string | undefined,
): boolean {
  return !!summary && summary.id !== alreadyMarkedId && !summary.keywords.includes('$seen')
}

const htmlToText = (html: string) => new DOMParser().parseFromString(html, 'text/html').body.textContent ?? ''

/**
 * One message's detail (offline: the copy kept when it was last opened) and the view rebuilt from its
 * placeholder; refetched while its content is arriving or a delivery is in flight. `markRead` runs
 * once per opened message that is unread.
 */
export function useMessageDetail(
  id: string | undefined,
  summary: MessageSummary | undefined,
  markRead: (summary: MessageSummary) => void,
) {
  const { api, email, storage } = useMail()
  const query = useQuery({
    // The summary's state is in the key: when sync reports the content arrived, we refetch.
    queryKey: ['message', id, summary?.contentState],
    queryFn: () => loadMessageDetail(api, storage, email, id as string),
    enabled: !!id,
    refetchInterval: (q) => refetchInterval(q.state.data),
    // A copy kept while its delivery was in flight is out of date when the message is opened again.
    staleTime: (q) => (refetchInterval(q.state.data) === false ? 30_000 : 0),
  })
  const detail = query.data

  const markedFor = useRef<string | undefined>(undefined)
  useEffect(() => {
    if (!summary || markedFor.current === summary.id) return
    const mark = shouldMarkRead(summary, markedFor.current)
    markedFor.current = summary.id
    if (mark) markRead(summary)
  }, [summary, markRead])

  const view = useMemo(() => (detail ? messageViewOf(detail, htmlToText) : undefined), [detail])
  return { query, detail, view }
}
