// Quoted text folded away in the conversation view, as Gmail and Fastmail do: the earlier messages
// are already on screen as their own cards, so a reply shows what is new and a "Show quoted text"
// toggle brings back the rest.

export type TextSegment = { kind: 'text' | 'quote'; text: string }

/** "On Tue, 3 Dec 2026 at 10:00, Bob <bob@example.net> wrote:" (also split over two lines). */
const ATTRIBUTION = /(^|\s)(wrote|writes|schrieb|a écrit|escribió|scrisse|napisał)\s*:\s*$/i
/** Outlook's and others' "everything below is the old message" separators. */
const ORIGINAL = /^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}\s*$/i

/**
 * Splits a plain-text body into new text and quoted runs: lines starting with ">" (RFC 3676 §4.5)
 * together with the attribution line above them, and everything after an "Original Message"
 * separator. A forwarded message ("---------- Forwarded message ----------") is content, not a quote.
 */
export function splitQuotedText(text: string): TextSegment[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  const quoted = lines.map((line) => /^\s*>/.test(line))
  const separator = lines.findIndex((line) => ORIGINAL.test(line))
  if (separator >= 0) for (let i = separator; i < lines.length; i++) quoted[i] = true
  // The attribution (one or two lines) and blank lines right above a quoted run belong to it.
  for (let i = 0; i < lines.length; i++) {
    if (!quoted[i] || (i > 0 && quoted[i - 1])) continue
    let j = i - 1
    while (j >= 0 && !lines[j]?.trim()) j--
    if (j >= 0 && ATTRIBUTION.test(lines[j] ?? '')) {
      const start = j > 0 && /^On\s/i.test(lines[j - 1] ?? '') && !/^On\s/i.test(lines[j] ?? '') ? j - 1 : j
      for (let k = start; k < i; k++) quoted[k] = true
    }
  }
  const segments: TextSegment[] = []
  lines.forEach((line, i) => {
    const kind = quoted[i] ? 'quote' : 'text'
    const last = segments[segments.length - 1]
    if (last && last.kind === kind) last.text += `\n${line}`
    else segments.push({ kind, text: line })
  })
  // Blank lines between the new text and a fold are noise once the fold is closed.
  return segments
    .map((s) => (s.kind === 'text' ? { ...s, text: s.text.replace(/\n+$/, '') } : s))
    .filter((s) => s.kind === 'quote' || s.text.trim() !== '')
}

/** Elements mail clients wrap quoted mail in (Apple/Thunderbird, Gmail, Outlook, Yahoo, ours). */
const QUOTE_SELECTOR = [
  'blockquote',
  '.gmail_quote',
  '.gmail_attr',
  '.moz-cite-prefix',
  '#divRplyFwdMsg',
  '#appendonsend',
  '.yahoo_quoted',
  '.fz-quote-attribution',
].join(',')

/**
 * Removes the quoted parts of an already sanitised HTML body: outermost quote containers, and the
 * attribution line just above a blockquote. Returns the folded HTML and how many parts were removed.
 * Parsing uses an inert document (DOMParser runs no script and loads nothing).
 */
export function foldQuotedHtml(html: string, parser: DOMParser): { html: string; folded: number } {
  const doc = parser.parseFromString(`<body>${html}</body>`, 'text/html')
  let folded = 0
  for (const el of [...doc.body.querySelectorAll(QUOTE_SELECTOR)]) {
    if (!el.isConnected) continue
    if (el.tagName === 'BLOCKQUOTE') removeAttribution(el)
    el.remove()
    folded++
  }
  return { html: doc.body.innerHTML, folded }
}

/** The "On …, Bob wrote:" text right before a blockquote (a text node or a short element). */
function removeAttribution(quote: Element): void {
  let prev = quote.previousSibling
  while (prev && prev.nodeType === 3 && !prev.textContent?.trim()) prev = prev.previousSibling
  while (prev && prev.nodeName === 'BR') {
    const before = prev.previousSibling
    prev.parentNode?.removeChild(prev)
    prev = before
  }
  if (!prev) return
  const text = prev.textContent ?? ''
  if (text.length < 400 && ATTRIBUTION.test(text.trim())) prev.parentNode?.removeChild(prev)
}
