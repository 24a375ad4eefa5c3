import type { Address } from '@federizer/protocol/message'

// The message list in conversation mode: one row per thread (X-Thread-ID) with how many messages it
// has in this mailbox, who took part, and the newest message's subject and snippet.

export interface ThreadedItem {
  id: string
  threadId?: string | null
  keywords: string[]
  from?: Address
  hasAttachment: boolean
}

export interface ThreadRow<M extends ThreadedItem> {
  /** The newest message: its subject, snippet and date stand for the row, and opening opens it. */
  message: M
  count: number
  /** Every message of the thread in this list, newest first: a checked row acts on all of them. */
  messages: M[]
  /** Senders, oldest first, each once ("Bobby, Alice"). */
  participants: string[]
  unread: boolean
  starred: boolean
  hasAttachment: boolean
}

const nameOf = (a: Address | undefined) => a?.name?.trim() || a?.address.split('@')[0] || '?'

/** Groups a newest-first list by thread, keeping the order of each thread's newest message. */
export function groupByThread<M extends ThreadedItem>(items: readonly M[]): ThreadRow<M>[] {
  const rows = new Map<string, { row: ThreadRow<M>; senders: string[] }>()
  for (const m of items) {
    const key = m.threadId || m.id
    let entry = rows.get(key)
    if (!entry) {
      entry = {
        row: {
          message: m,
          count: 0,
          messages: [],
          participants: [],
          unread: false,
          starred: false,
          hasAttachment: false,
        },
        senders: [],
      }
      rows.set(key, entry)
    }
    const { row } = entry
    row.count++
    row.messages.push(m)
    row.unread ||= !m.keywords.includes('$seen')
    row.starred ||= m.keywords.includes('$flagged')
    row.hasAttachment ||= m.hasAttachment
    entry.senders.push(nameOf(m.from))
  }
  return [...rows.values()].map(({ row, senders }) => ({
    ...row,
    participants: [...new Set(senders.reverse())],
  }))
}
