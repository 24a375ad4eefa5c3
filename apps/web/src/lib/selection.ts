// Selection in the message list: checkboxes, shift-click ranges, select all in the view, and the
// one change that undoes a bulk change (the previous state, message by message).

export interface Selection {
  readonly ids: ReadonlySet<string>
  /** The row last clicked without Shift: a Shift-click selects from here to the clicked row. */
  readonly anchor?: string | undefined
}

export const emptySelection: Selection = { ids: new Set() }

/**
 * A click on a row's checkbox. Without Shift it toggles the row and makes it the anchor; with Shift
 * every row from the anchor to the clicked one (in view order) takes the clicked row's new state.
 */
export function clickRow(sel: Selection, order: readonly string[], id: string, shift: boolean): Selection {
  const ids = new Set(sel.ids)
  const check = !ids.has(id)
  const from = sel.anchor === undefined ? -1 : order.indexOf(sel.anchor)
  const to = order.indexOf(id)
  if (shift && from >= 0 && to >= 0) {
    for (let i = Math.min(from, to); i <= Math.max(from, to); i++) {
      const row = order[i] as string
      if (check) ids.add(row)
      else ids.delete(row)
    }
    return { ids, anchor: sel.anchor }
  }
  if (check) ids.add(id)
  else ids.delete(id)
  return { ids, anchor: id }
}

/** "Select all" in the current view; again (everything already selected) clears. */
export function toggleAll(sel: Selection, order: readonly string[]): Selection {
  const all = order.length > 0 && order.every((id) => sel.ids.has(id))
  return all ? emptySelection : { ids: new Set(order), anchor: sel.anchor }
}

/** Keeps only the rows still in view (after a move, a sync or another folder). */
export function pruneSelection(sel: Selection, order: readonly string[]): Selection {
  const inView = new Set(order)
  if ([...sel.ids].every((id) => inView.has(id))) return sel
  return { ids: new Set([...sel.ids].filter((id) => inView.has(id))), anchor: sel.anchor }
}

export interface Keyworded {
  id: string
  keywords: readonly string[]
  mailboxId: string
}

export type KeywordChange = { kind: 'setKeywords'; ids: string[]; add?: string[]; remove?: string[] }

/**
 * Setting (`on`) or clearing a keyword on many messages, and the change that undoes it: only the
 * messages whose state really changed go back (a message already read stays read after Undo).
 */
export function keywordChange(
  messages: readonly Keyworded[],
  keyword: string,
  on: boolean,
): { change: KeywordChange; undo: KeywordChange | undefined } {
  const ids = messages.map((m) => m.id)
  const changed = messages.filter((m) => m.keywords.includes(keyword) !== on).map((m) => m.id)
  const change: KeywordChange = on
    ? { kind: 'setKeywords', ids, add: [keyword] }
    : { kind: 'setKeywords', ids, remove: [keyword] }
  if (changed.length === 0) return { change, undo: undefined }
  const undo: KeywordChange = on
    ? { kind: 'setKeywords', ids: changed, remove: [keyword] }
    : { kind: 'setKeywords', ids: changed, add: [keyword] }
  return { change, undo }
}

/** Undo of a move: the messages back to the folders they came from, one move per origin folder. */
export function moveBack(
  messages: readonly Keyworded[],
  target: string,
): Array<{ kind: 'move'; ids: string[]; mailboxId: string }> {
  const byFolder = new Map<string, string[]>()
  for (const m of messages) {
    if (m.mailboxId === target) continue
    byFolder.set(m.mailboxId, [...(byFolder.get(m.mailboxId) ?? []), m.id])
  }
  return [...byFolder].map(([mailboxId, ids]) => ({ kind: 'move', ids, mailboxId }))
}

/**
 * Undo of a keyword change done on the server to a whole folder (`message.bulkInMailbox`): the
 * opposite change on exactly the messages the server says it flipped. The client cannot know the
 * folder's messages it never loaded, so this never guesses from its cache; a message that already had
 * the keyword (read, starred) is not flipped and stays as it was. Only a one-keyword change (what the
 * toolbar sends) has an exact opposite; anything else, or nothing flipped, has no undo.
 */
export function folderKeywordUndo(
  action: { add?: readonly string[]; remove?: readonly string[] },
  flipped: readonly string[],
): KeywordChange | undefined {
  const add = action.add ?? []
  const remove = action.remove ?? []
  if (flipped.length === 0 || add.length + remove.length !== 1) return undefined
  return add.length === 1
    ? { kind: 'setKeywords', ids: [...flipped], remove: [...add] }
    : { kind: 'setKeywords', ids: [...flipped], add: [...remove] }
}
