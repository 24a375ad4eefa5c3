// Plain-text bodies: turn http(s) URLs and e-mail addresses into links, everything else stays text
// (rendered by React, so no HTML is ever interpreted).

export type TextToken = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string }

const PATTERN = /\bhttps?:\/\/[^\s<>"']+|\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g

/** Header lines whose `<left@right>` values are identifiers (RFC 5322 §3.6.4), not addresses to write to. */
const ID_LINE = /^\s*(message-id|in-reply-to|references|x-thread-id)\s*:/i

/** Splits text into plain and link tokens; trailing punctuation stays outside the link. */
export function linkify(text: string): TextToken[] {
  const out: TextToken[] = []
  let last = 0
  for (const match of text.matchAll(PATTERN)) {
    let raw = match[0]
    const start = match.index ?? 0
    const trimmed = raw.replace(/[.,;:!?)\]]+$/, '')
    raw = trimmed
    const line = text.slice(text.lastIndexOf('\n', start - 1) + 1, start)
    if (!raw.includes('://') && ID_LINE.test(line)) continue
    if (start > last) out.push({ kind: 'text', text: text.slice(last, start) })
    const href = raw.includes('://') ? raw : `mailto:${raw}`
    out.push({ kind: 'link', text: raw, href })
    last = start + raw.length
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) })
  return out
}
