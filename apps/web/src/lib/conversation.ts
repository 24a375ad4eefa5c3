// The conversation view's decisions: the order of the cards and which of them start open.

export interface ThreadItem {
  id: string
  receivedAt: number
  keywords: string[]
}

/** Oldest first, as a conversation is read; equal times keep a stable order by id. */
export function conversationOrder<T extends ThreadItem>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/**
 * A card starts open when it is the message the person opened, the newest of the conversation, or
 * unread; the other (older, read) ones start collapsed to one line. Decided once per card: marking an
 * open card read must not fold it under the reader's eyes.
 */
export function startsExpanded(
  item: ThreadItem,
  context: { currentId: string; newestId: string | undefined },
) {
  return item.id === context.currentId || item.id === context.newestId || !item.keywords.includes('$seen')
}
