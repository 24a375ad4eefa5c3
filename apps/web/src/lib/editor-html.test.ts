// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { sanitizeForEditor } from './editor-html.ts'

describe('HTML put into the compose editor', () => {
  it('loses script, event handlers and javascript: links (the reader rules)', () => {
    const out = sanitizeForEditor(
      '<p>hi</p><script>window.x=1</script><img src="x" onerror="window.x=2">' +
        '<a href="javascript:window.x=3">link</a><svg onload="window.x=4"></svg>',
    )
    expect(out).toContain('<p>hi</p>')
    expect(out).not.toMatch(/script|onerror|onload|javascript:|<svg/i)
  })

  it('drops <style> elements, which would restyle the whole webmail page', () => {
    const out = sanitizeForEditor('<style>body{display:none}</style><p style="color: red">kept</p>')
    expect(out).not.toMatch(/<style|display:\s*none/i)
    expect(out).toContain('color: red')
  })

  it('keeps cid: inline images so a saved draft still names them', () => {
    expect(sanitizeForEditor('<img src="cid:abc123" alt="logo">')).toContain('src="cid:abc123"')
  })
})
