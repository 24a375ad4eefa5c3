import { useQuery } from '@tanstack/react-query'
import { useMemo } from 'react'
import { isNetworkError } from '../../api/mail-api.ts'
import type { MessageDetail, MessageSummary } from '../../api/types.ts'
import { useMail } from '../../app/mail-context.ts'
import { type MessageView, reconstructMessage } from '../../lib/message-view.ts'
import { loadDetail, saveDetail } from '../../lib/offline-cache.ts'

const htmlToText = (html: string) => new DOMParser().parseFromString(html, 'text/html').body.textContent ?? ''

/**
 * One message's detail (offline: the copy kept when it was last opened) and the view rebuilt from its
 * placeholder; refetched while its content is arriving or a delivery is in flight.
 */
export function useMessageDetail(id: string | undefined, summary: MessageSummary | undefined) {
  const { api, email, storage } = useMail()
  const query = useQuery({
    // The summary's state is in the key: when sync reports the content arrived, we refetch.
    queryKey: ['message', id, summary?.contentState],
    queryFn: async (): Promise<MessageDetail> => {
      let detail: MessageDetail | undefined
      try {
        ;[detail] = await api.details([id as string])
      } catch (error) {
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
  return { query, detail, view }
}
