// Keyboard shortcuts, Gmail-style single keys. Pure: the app maps actions to handlers.

export type ShortcutAction =
  | 'compose'
  | 'reply'
  | 'replyAll'
  | 'forward'
  | 'next'
  | 'previous'
  | 'archive'
  | 'delete'
  | 'search'
  | 'help'
  | 'toggleStar'
  | 'toggleRead'
  | 'close'

export interface Shortcut {
  key: string
  action: ShortcutAction
  description: string
}

export const SHORTCUTS: readonly Shortcut[] = [
  { key: 'c', action: 'compose', description: 'Compose a new message' },
  { key: 'r', action: 'reply', description: 'Reply' },
  { key: 'a', action: 'replyAll', description: 'Reply to all' },
  { key: 'f', action: 'forward', description: 'Forward' },
  { key: 'j', action: 'next', description: 'Next message' },
  { key: 'k', action: 'previous', description: 'Previous message' },
  { key: 'e', action: 'archive', description: 'Archive' },
  { key: '#', action: 'delete', description: 'Move to trash' },
  { key: 's', action: 'toggleStar', description: 'Star / unstar' },
  { key: 'u', action: 'toggleRead', description: 'Mark read / unread' },
  { key: '/', action: 'search', description: 'Search' },
  { key: '?', action: 'help', description: 'Show keyboard shortcuts' },
  { key: 'Escape', action: 'close', description: 'Close dialog / back to list' },
]

export interface KeyLike {
  key: string
  ctrlKey?: boolean
  metaKey?: boolean
  altKey?: boolean
  /** Tag name of the focused element, e.g. 'INPUT'. */
  targetTag?: string
  targetEditable?: boolean
}

const TYPING_TAGS = new Set(['INPUT', 'TEXTAREA', 'SELECT'])

/** Maps a key event to an action; ignores keys typed into fields and modified chords (browser's own). */
export function shortcutFor(event: KeyLike): ShortcutAction | undefined {
  if (event.ctrlKey || event.metaKey || event.altKey) return undefined
  const typing =
    event.targetEditable || (event.targetTag ? TYPING_TAGS.has(event.targetTag.toUpperCase()) : false)
  if (typing && event.key !== 'Escape') return undefined
  return SHORTCUTS.find((s) => s.key === event.key)?.action
}
