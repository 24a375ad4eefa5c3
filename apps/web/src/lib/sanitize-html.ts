import createDOMPurify from 'dompurify'
import { filterCss, isRemoteHttpUrl } from './css-guard.ts'

// E-mail HTML is hostile input. Two layers: DOMPurify with a mail profile plus our URL/CSS rules here,
// then a sandboxed iframe (no allow-scripts) whose srcdoc carries a strict CSP (see buildSrcDoc).

export interface SanitizeOptions {
  /** Load remote (http/https) images and CSS backgrounds; off by default (tracking pixels). */
  allowRemote: boolean
  /** Maps a `cid:` reference (without the scheme) to a data: URL for inline images. */
  resolveCid?: (contentId: string) => string | undefined
  /**
   * The HTML goes into the app's own document (the compose editor), not the sandboxed frame:
   * `<style>` elements are dropped too, since their rules would restyle the whole webmail.
   */
  inDocument?: boolean
}

export interface SanitizeResult {
  html: string
  /** How many remote loads were removed; > 0 means "Load remote content" is worth offering. */
  blockedRemote: number
}

const FORBID_TAGS = [
  'link',
  'meta',
  'base',
  'form',
  'input',
  'button',
  'textarea',
  'select',
  'option',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'audio',
  'video',
  'source',
  'track',
  'picture',
  'noscript',
  'template',
  'portal',
  'dialog',
  'svg',
  'math',
]
const FORBID_ATTR = [
  'action',
  'formaction',
  'ping',
  'xmlns',
  'http-equiv',
  'srcdoc',
  'autofocus',
  'dynsrc',
  'lowsrc',
]
const URL_ATTRS = ['src', 'background', 'poster']
const SAFE_LINK = /^(?:https?:|mailto:|tel:|#)/i

export type MailSanitizer = (html: string, options: SanitizeOptions) => SanitizeResult

/** Builds a sanitizer bound to a DOM window (the page's window, or jsdom's in tests). */
export function createMailSanitizer(win: Window): MailSanitizer {
  // DOMPurify's factory accepts a window-like object; jsdom's window qualifies.
  const purify = createDOMPurify(win as unknown as Parameters<typeof createDOMPurify>[0])
  let current: SanitizeOptions = { allowRemote: false }
  let blocked = 0

  const resolveUrl = (value: string): string | undefined => {
    const v = value.trim()
    const lower = v.toLowerCase()
    if (lower.startsWith('cid:')) return current.resolveCid?.(stripBrackets(v.slice(4)))
    if (lower.startsWith('data:image/') && !lower.startsWith('data:image/svg')) return v
    if (isRemoteHttpUrl(v)) {
      if (current.allowRemote) return v
      blocked++
      return undefined
    }
    return undefined
  }

  purify.addHook('uponSanitizeElement', (node, data) => {
    const el = node as Element
    if (data.tagName === 'link' && el.getAttribute?.('href')) blocked++
    if (data.tagName === 'style') {
      if (current.inDocument) {
        el.textContent = ''
        return
      }
      const result = filterCss(el.textContent ?? '', current)
      blocked += result.blocked
      el.textContent = result.css
    }
  })

  purify.addHook('afterSanitizeAttributes', (node) => {
    const el = node as Element
    if (!el.hasAttribute) return
    if (el.hasAttribute('style')) {
      const result = filterCss(el.getAttribute('style') ?? '', current)
      blocked += result.blocked
      if (result.css.trim()) el.setAttribute('style', result.css)
      else el.removeAttribute('style')
    }
    for (const name of URL_ATTRS) {
      const value = el.getAttribute(name)
      if (value === null) continue
      const resolved = resolveUrl(value)
      if (resolved) el.setAttribute(name, resolved)
      else el.removeAttribute(name)
    }
    const srcset = el.getAttribute('srcset')
    if (srcset !== null) {
      const candidates = srcset.split(',').map((c) => c.trim().split(/\s+/)[0] ?? '')
      if (current.allowRemote && candidates.every((c) => isRemoteHttpUrl(c))) {
        // keep
      } else {
        if (candidates.some((c) => isRemoteHttpUrl(c))) blocked++
        el.removeAttribute('srcset')
      }
    }
    if (el.tagName === 'A' || el.tagName === 'AREA') {
      const href = el.getAttribute('href')
      if (href !== null && !SAFE_LINK.test(href.trim())) el.removeAttribute('href')
      el.setAttribute('target', '_blank')
      el.setAttribute('rel', 'noopener noreferrer')
    }
  })

  return (html, options) => {
    current = options
    blocked = 0
    const clean = purify.sanitize(html, {
      USE_PROFILES: { html: true },
      FORBID_TAGS: options.inDocument ? [...FORBID_TAGS, 'style'] : FORBID_TAGS,
      FORBID_ATTR,
      ADD_ATTR: ['target'],
      ALLOW_DATA_ATTR: false,
      ALLOW_UNKNOWN_PROTOCOLS: false,
      ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto|tel|cid):|#)/i,
      FORCE_BODY: true,
      RETURN_TRUSTED_TYPE: false,
    }) as unknown as string
    return { html: clean, blockedRemote: blocked }
  }
}

function stripBrackets(cid: string): string {
  return cid.replace(/^<|>$/g, '')
}

/** Content-Security-Policy for the reading frame; remote images only after the user asks. */
export function readerCsp(allowRemote: boolean): string {
  const img = allowRemote ? 'img-src data: cid: https: http:' : 'img-src data: cid:'
  return [
    "default-src 'none'",
    img,
    "style-src 'unsafe-inline'",
    'font-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ')
}

/**
 * Wraps sanitised HTML in the document loaded by the sandboxed iframe. The CSP meta is the second
 * wall: even a sanitiser miss cannot run script (sandbox) or load remote bytes (img-src).
 */
export function buildSrcDoc(cleanHtml: string, options: { allowRemote: boolean }): string {
  // Mail HTML is designed on white; recolouring it for dark mode makes much of it unreadable, so the
  // frame keeps a light page (as most mail clients do) and the app around it follows the theme.
  const colors = 'color-scheme: light; background:#ffffff; color:#1d2129;'
  return (
    '<!doctype html><html><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${readerCsp(options.allowRemote)}">` +
    '<base target="_blank">' +
    `<style>html,body{margin:0;padding:0;}body{${colors}font:15px/1.5 system-ui,sans-serif;` +
    'padding:4px 2px;overflow-wrap:anywhere;}img{max-width:100%;height:auto;}a{color:#4b8cf5;}' +
    'pre{white-space:pre-wrap;}</style></head><body>' +
    cleanHtml +
    '</body></html>'
  )
}
