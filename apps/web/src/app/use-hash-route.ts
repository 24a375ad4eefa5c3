import { useCallback, useEffect, useState } from 'react'

// Routes live in the hash (#/m/<mailbox>/<message>) so the phone's back button returns from the
// reader to the list, and a reload reopens the same message. The api's SPA fallback is not needed.

export interface Route {
  mailboxId?: string
  messageId?: string
  search?: string
}

export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
  if (parts[0] === 'm' && parts[1])
    return { mailboxId: parts[1], ...(parts[2] ? { messageId: parts[2] } : {}) }
  if (parts[0] === 'search' && parts[1] !== undefined) {
    return { search: parts[1], ...(parts[2] ? { messageId: parts[2] } : {}) }
  }
  return {}
}

export function formatHash(route: Route): string {
  const enc = encodeURIComponent
  if (route.search !== undefined)
    return `#/search/${enc(route.search)}${route.messageId ? `/${enc(route.messageId)}` : ''}`
  if (!route.mailboxId) return '#/'
  return `#/m/${enc(route.mailboxId)}${route.messageId ? `/${enc(route.messageId)}` : ''}`
}

export function useHashRoute(): [Route, (route: Route, options?: { replace?: boolean }) => void] {
  const [route, setRoute] = useState<Route>(() => parseHash(window.location.hash))
  useEffect(() => {
    const handleHashChange = () => setRoute(parseHash(window.location.hash))
    window.addEventListener('hashchange', handleHashChange)
    return () => window.removeEventListener('hashchange', handleHashChange)
  }, [])
  const navigate = useCallback((next: Route, options?: { replace?: boolean }) => {
    const hash = formatHash(next)
    if (hash === window.location.hash) return
    if (options?.replace) window.history.replaceState(null, '', hash)
    else window.history.pushState(null, '', hash)
    setRoute(next)
  }, [])
  return [route, navigate]
}
