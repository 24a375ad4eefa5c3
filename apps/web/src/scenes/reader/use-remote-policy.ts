import { useQuery } from '@tanstack/react-query'
import { useMail } from '../../state/mail-context.ts'
import { usePrefs } from '../../state/prefs.ts'

/**
 * What the remote-content setting allows for mail from `from`: load at once (a correspondent under
 * "contacts"), offer a button ("ask", or a stranger under "contacts"), or never (no button).
 */
export function useRemotePolicy(from: string | undefined): 'load' | 'ask' | 'never' {
  const { api } = useMail()
  const policy = usePrefs().remoteContent
  const known = useQuery({
    queryKey: ['correspondent', from?.toLowerCase()],
    enabled: policy === 'contacts' && !!from,
    staleTime: 10 * 60_000,
    queryFn: () => api.isCorrespondent(from ?? ''),
  })
  if (policy === 'never') return 'never'
  if (policy === 'contacts' && known.data === true) return 'load'
  return 'ask'
}
