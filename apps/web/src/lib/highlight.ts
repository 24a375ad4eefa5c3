// Search results show the words that matched: the free words of the query (operators such as
// from:, has:, in: and before: are filters, not words to mark), case-insensitive, whole or prefix.

/** The words of a search query worth marking in results. */
export function searchTerms(query: string): string[] {
  const words: string[] = []
  for (const match of query.matchAll(/"([^"]+)"|(\S+)/g)) {
    const quoted = match[1]
    const word = match[2]
    if (quoted) words.push(quoted.trim())
    else if (word && !/^-|^[a-z]+:/i.test(word)) words.push(word)
    else if (word && /^(subject|from|to):/i.test(word)) {
      const value = word.slice(word.indexOf(':') + 1).replace(/^"|"$/g, '')
      if (value) words.push(value)
    }
  }
  return [...new Set(words.filter((w) => w.length > 0).map((w) => w.toLowerCase()))]
}

export type Part = { text: string; match: boolean }

/** `text` cut into marked and unmarked parts for `terms`. */
export function highlightParts(text: string, terms: readonly string[]): Part[] {
  if (terms.length === 0 || !text) return [{ text, match: false }]
  const escaped = [...terms]
    .sort((a, b) => b.length - a.length)
    .map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  const parts: Part[] = []
  let last = 0
  for (const m of text.matchAll(new RegExp(escaped.join('|'), 'gi'))) {
    const at = m.index ?? 0
    if (at > last) parts.push({ text: text.slice(last, at), match: false })
    parts.push({ text: m[0], match: true })
    last = at + m[0].length
  }
  if (last < text.length) parts.push({ text: text.slice(last), match: false })
  return parts
}
