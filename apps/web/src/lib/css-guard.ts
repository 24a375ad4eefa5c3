// CSS filtering for e-mail HTML: remote loads hide in url(), image-set(), @import and legacy
// script-bearing properties. We decode CSS escapes first so `u\72l(` cannot slip past the checks.

/** Decodes CSS escapes (`\75` → `u`, `\(` → `(`) and drops comments. @see CSS Syntax Level 3 §4.3.7 */
function normalizeCss(css: string): string {
  return css
    .replace(/\/\*[\s\S]*?(\*\/|$)/g, '')
    .replace(/\\([0-9a-fA-F]{1,6})\s?/g, (_m, hex: string) => {
      const code = Number.parseInt(hex, 16)
      return code === 0 || code > 0x10ffff ? '\ufffd' : String.fromCodePoint(code)
    })
    .replace(/\\([^\n0-9a-fA-F])/g, '$1')
}

const URL_FUNCTION = /url\s*\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*?))\s*\)/gi
const IMPORT_RULE = /@import\b[^;]*(;|$)/gi
const DANGEROUS = /expression\s*\(|behavior\s*:|-moz-binding|javascript:|vbscript:/i
const IMAGE_SET = /(?:-webkit-)?image-set\s*\(/i
const BARE_STRING_IN_SRC = /\bsrc\s*\(/i

/** True for http(s) URLs, the only remote scheme we ever load (after the user agrees). */
export function isRemoteHttpUrl(value: string): boolean {
  return /^https?:\/\//i.test(value.trim())
}

export interface CssResult {
  css: string
  blocked: number
}

/**
 * Filters a CSS text (a style attribute or a <style> element): removes @import always, script-bearing
 * constructs always, and remote url()s unless `allowRemote`. `resolveCid` maps `cid:` to a data: URL.
 */
export function filterCss(
  input: string,
  options: { allowRemote: boolean; resolveCid?: (cid: string) => string | undefined },
): CssResult {
  let blocked = 0
  let css = normalizeCss(input)
  css = css.replace(IMPORT_RULE, () => {
    blocked++
    return ''
  })
  if (DANGEROUS.test(css)) {
    // Nothing legitimate in mail needs these; dropping the whole text is the safe answer.
    return { css: '', blocked: blocked + 1 }
  }
  if (!options.allowRemote && (IMAGE_SET.test(css) || BARE_STRING_IN_SRC.test(css))) {
    css = css.replace(/(?:-webkit-)?image-set\s*\([^;}]*\)|\bsrc\s*\([^)]*\)/gi, () => {
      blocked++
      return 'none'
    })
  }
  css = css.replace(URL_FUNCTION, (whole, dq?: string, sq?: string, bare?: string) => {
    const url = (dq ?? sq ?? bare ?? '').trim()
    if (url.toLowerCase().startsWith('cid:')) {
      const resolved = options.resolveCid?.(url.slice(4))
      if (resolved) return `url("${resolved}")`
      return 'none'
    }
    if (url.toLowerCase().startsWith('data:image/')) return whole.replace(/[<>]/g, '')
    if (options.allowRemote && isRemoteHttpUrl(url)) return `url("${url.replace(/["\\\n]/g, '')}")`
    blocked++
    return 'none'
  })
  return { css, blocked }
}
