import { useQuery } from '@tanstack/react-query'
import type { UserPrefs } from '../api/types.ts'
import { useMail } from './mail-context.ts'

export const DEFAULT_PREFS: UserPrefs = {
  signatures: {},
  undoSendSeconds: null,
  readingPane: 'right',
  density: 'comfortable',
  remoteContent: 'ask',
}

/** The settings query every scene shares (the settings dialog updates it after each save). */
export function useSettings() {
  const { api } = useMail()
  return useQuery({ queryKey: ['settings'], queryFn: () => api.settings(), staleTime: 5 * 60_000 })
}

/** The user's webmail preferences; the defaults until the server answers (or when it cannot). */
export function usePrefs(): UserPrefs {
  return useSettings().data?.prefs ?? DEFAULT_PREFS
}
