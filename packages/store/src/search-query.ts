/**
 * The search operators people know from Gmail and Fastmail (`from:`, `to:`, `subject:`, `has:attachment`,
 * `is:unread`, `is:starred`, `in:folder`, `before:`/`after:`), parsed into a structured query. Pure and
 * without imports: the api applies it (search.ts) and the webmail uses it to highlight what matched.
 */

export interface SearchQuery {
  /** Free words, matched against subject, addresses and text (full-text index). */
  words: string[]
  from: string[]
  to: string[]
  subject: string[]
  hasAttachment?: boolean
  unread?: boolean
  starred?: boolean
  /** A folder name or role (`inbox`, `sent`, …), matched case-insensitively. */
  folder?: string
  /** Epoch seconds: received strictly before this instant (the start of the given day, UTC). */
  before?: number
  /** Epoch seconds: received at or after the start of the given day (UTC). */
  after?: number
  /** Operators that could not be understood, so the UI can say so ("unknown operator foo:"). */
  unknown: string[]
}

/** `2026-12-02`, `2026/12/02` or `2026-12` → epoch seconds of that day's start (UTC); undefined when invalid. */
export function parseDay(value: string): number | undefined {
  const m = /^(\d{4})[-/](\d{1,2})(?:[-/](\d{1,2}))?$/.exec(value)
  if (!m) return undefined
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 1)]
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return undefined
  const ms = Date.UTC(y, mo - 1, d)
  const check = new Date(ms)
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined
  return ms / 1000
}

/** Splits on spaces, keeping "quoted phrases" (also after an operator: `subject:"two words"`) together. */
export function tokenize(input: string): string[] {
  const out: string[] = []
  const re = /(\S+?:)?"([^"]*)"?|\S+/g
  for (const m of input.normalize('NFKC').matchAll(re)) {
    if (m[2] !== undefined) out.push(`${m[1] ?? ''}${m[2]}`)
    else out.push(m[0])
  }
  return out.filter((t) => t.length > 0)
}

/** Parses what a person typed into the search box. Unknown operators stay as words and are listed. */
export function parseSearchQuery(input: string): SearchQuery {
  const q: SearchQuery = { words: [], from: [], to: [], subject: [], unknown: [] }
  for (const token of tokenize(input).slice(0, 32)) {
    const m = /^([a-z]+):(.+)$/i.exec(token)
    if (!m) {
      q.words.push(token)
      continue
    }
    const op = (m[1] ?? '').toLowerCase()
    const value = (m[2] ?? '').trim()
    const lower = value.toLowerCase()
    switch (op) {
      case 'from':
        q.from.push(lower)
        break
      case 'to':
        q.to.push(lower)
        break
      case 'subject':
        q.subject.push(value)
        break
      case 'in':
        q.folder = value
        break
      case 'has':
        if (lower === 'attachment' || lower === 'attachments') q.hasAttachment = true
        else q.unknown.push(token)
        break
      case 'is':
        if (lower === 'unread') q.unread = true
        else if (lower === 'read') q.unread = false
        else if (lower === 'starred' || lower === 'flagged') q.starred = true
        else q.unknown.push(token)
        break
      case 'before': {
        const day = parseDay(value)
        if (day === undefined) q.unknown.push(token)
        else q.before = day
        break
      }
      case 'after': {
        const day = parseDay(value)
        // As in Gmail: "after:2026-12-01" includes the 1st itself.
        if (day === undefined) q.unknown.push(token)
        else q.after = day
        break
      }
      default:
        // "http://…" or "10:30" are words, not operators.
        q.unknown.push(token)
        q.words.push(token)
    }
  }
  return q
}

/** True when the query asks for nothing at all (empty box or only unparsable operators). */
export function isEmptyQuery(q: SearchQuery): boolean {
  return (
    q.words.length === 0 &&
    q.from.length === 0 &&
    q.to.length === 0 &&
    q.subject.length === 0 &&
    q.hasAttachment === undefined &&
    q.unread === undefined &&
    q.starred === undefined &&
    q.folder === undefined &&
    q.before === undefined &&
    q.after === undefined
  )
}

/** The words a result view should highlight: free words, subject and sender terms. */
export function highlightTerms(q: SearchQuery): string[] {
  const terms = [...q.words, ...q.subject, ...q.from, ...q.to]
    .flatMap((t) => t.split(/\s+/))
    .map((t) => t.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''))
    .filter((t) => t.length > 0)
  return [...new Set(terms.map((t) => t.toLowerCase()))].sort((a, b) => b.length - a.length)
}
