import { describe, expect, it } from 'vitest'
import { htmlToIndexText } from '../src/message/index.ts'

describe('htmlToIndexText', () => {
  it('decodes each character reference once: &amp;lt; is the text "&lt;", not "<"', () => {
    expect(htmlToIndexText('a &amp;lt; b &amp;amp; c')).toBe('a &lt; b &amp; c')
    expect(htmlToIndexText('&lt;b&gt; &quot;q&quot; &#39;s&apos; x&nbsp;y')).toBe('<b> "q" \'s\' x y')
  })
  it('decodes decimal and hex references and leaves unknown or invalid ones as written', () => {
    expect(htmlToIndexText('&#233;t&#xE9; &#x1F600;')).toBe('été 😀')
    expect(htmlToIndexText('&bogus; &#0; &#xD800; &#99999999;')).toBe('&bogus; &#0; &#xD800; &#99999999;')
  })
  it('drops scripts and styles, turns tags into spaces and collapses white space', () => {
    expect(
      htmlToIndexText('<style type="x">p{}</style><p>Hi\n\n<b>Bob</b></p><script src=a>evil()</script >!'),
    ).toBe('Hi Bob !')
  })
})
