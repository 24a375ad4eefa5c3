/** Character references an HTML body commonly carries; any other `&name;` is left as written. */
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

/**
 * The plain text of an HTML body for the search index and the list preview (never rendered): both the
 * sender's mailbox (at send) and the recipient's (at fetch) index an HTML-only message through this
 * one function, so the two copies are found by the same words. Scripts and styles are dropped, tags
 * become spaces, character references (named ones above, decimal and hex, HTML §13.5) are decoded in
 * one pass, so `&amp;lt;` reads `&lt;` (decoding `&amp;` first would make it `<`), and white space
 * collapses to single spaces.
 */
export function htmlToIndexText(html: string): string {
  return html
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);/g, (whole, ref: string) => {
      if (ref[0] !== '#') return NAMED[ref.toLowerCase()] ?? whole
      const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1))
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
        ? String.fromCodePoint(code)
        : whole
    })
    .replace(/\s+/g, ' ')
    .trim()
}
