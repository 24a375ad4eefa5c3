import { useEffect, useRef } from 'react'
import { BASE_TITLE, badgedIcon, titleWithUnread } from '../lib/unread-badge.ts'
import { type MailStore, useMailState } from '../state/mail-store.ts'

/**
 * Keeps the Inbox's unread count in the tab title and the favicon, and shows a desktop notification
 * for new mail while the tab is in the background — only when the person has allowed notifications.
 */
export function useTabNotifications(store: MailStore): void {
  const unread = useMailState(store, (s) => s.mailboxes.find((m) => m.role === 'inbox')?.unread ?? 0)
  const announcement = useMailState(store, (s) => s.announcement)
  const icon = useRef<string | undefined>(undefined)

  useEffect(() => {
    document.title = titleWithUnread(unread)
    let cancelled = false
    const apply = (svg: string) => {
      if (cancelled) return
      let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]')
      if (!link) {
        link = document.createElement('link')
        link.rel = 'icon'
        document.head.append(link)
      }
      link.type = 'image/svg+xml'
      link.href = badgedIcon(svg, unread)
    }
    if (icon.current) apply(icon.current)
    else
      void fetch('/icon.svg')
        .then((r) => (r.ok ? r.text() : Promise.reject(new Error(String(r.status)))))
        .then((svg) => {
          icon.current = svg
          apply(svg)
        })
        .catch(() => undefined)
    return () => {
      cancelled = true
    }
  }, [unread])

  useEffect(
    () => () => {
      document.title = BASE_TITLE
    },
    [],
  )

  useEffect(() => {
    if (!announcement || typeof Notification === 'undefined') return
    if (Notification.permission !== 'granted' || document.visibilityState === 'visible') return
    const n = new Notification('New mail', { body: announcement, icon: '/icon-192.png', tag: 'fz-new-mail' })
    n.onclick = () => {
      window.focus()
      n.close()
    }
  }, [announcement])
}
