// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { foldQuotedHtml, splitQuotedText } from './quote-fold.ts'

describe('quoted text in plain bodies', () => {
  it('folds the "> " run and its attribution line, keeping the new text', () => {
    const text =
      'Sounds good, see you at 10.\n\nOn Dec 3, 2026, 10:00, Bob <bob@example.net> wrote:\n> Shall we meet?\n>> older\n'
    expect(splitQuotedText(text)).toEqual([
      { kind: 'text', text: 'Sounds good, see you at 10.' },
      {
        kind: 'quote',
        text: 'On Dec 3, 2026, 10:00, Bob <bob@example.net> wrote:\n> Shall we meet?\n>> older',
      },
    ])
  })

  it('keeps interleaved answers visible between the folds', () => {
    const segments = splitQuotedText('> question one\nanswer one\n> question two\nanswer two')
    expect(segments.map((s) => s.kind)).toEqual(['quote', 'text', 'quote', 'text'])
    expect(segments[1]?.text).toBe('answer one')
  })

  it('folds an attribution broken over two lines, and everything below "Original Message"', () => {
    const two = splitQuotedText('Yes.\nOn Tue, 3 Dec 2026 at 10:00, Bob Smith\nwrote:\n> Shall we?')
    expect(two[0]).toEqual({ kind: 'text', text: 'Yes.' })
    expect(two[1]?.text).toMatch(/^On Tue.*\nwrote:\n> Shall we\?$/)
    const outlook = splitQuotedText('Fine.\n-----Original Message-----\nFrom: Bob\nSubject: x\n\nhello')
    expect(outlook).toEqual([
      { kind: 'text', text: 'Fine.' },
      { kind: 'quote', text: '-----Original Message-----\nFrom: Bob\nSubject: x\n\nhello' },
    ])
  })

  it('leaves a message without quotes, and a forwarded message, whole', () => {
    expect(splitQuotedText('Hello\n\nBob')).toEqual([{ kind: 'text', text: 'Hello\n\nBob' }])
    const fwd = 'FYI\n\n---------- Forwarded message ----------\nFrom: Bob\n\nthe report'
    expect(splitQuotedText(fwd)).toEqual([{ kind: 'text', text: fwd }])
    // "wrote:" in the text without a quote below it is just text.
    expect(splitQuotedText('She wrote:\nnothing')).toEqual([{ kind: 'text', text: 'She wrote:\nnothing' }])
  })
})

describe('quoted text in HTML bodies', () => {
  const parser = new DOMParser()

  it('removes a blockquote with the attribution above it', () => {
    const out = foldQuotedHtml(
      '<p>See you <b>at ten</b>.</p><div>On Dec 3, 2026, Bob wrote:</div><blockquote type="cite"><p>Shall we meet?</p></blockquote>',
      parser,
    )
    expect(out.folded).toBe(1)
    expect(out.html).toBe('<p>See you <b>at ten</b>.</p>')
  })

  it('removes Gmail and Outlook quote containers once (nested quotes count once)', () => {
    const gmail = foldQuotedHtml(
      '<div>Yes!</div><div class="gmail_quote"><div class="gmail_attr">On Mon, Bob wrote:<br></div><blockquote class="gmail_quote"><div>Lunch?<blockquote>older</blockquote></div></blockquote></div>',
      parser,
    )
    expect(gmail).toEqual({ html: '<div>Yes!</div>', folded: 1 })
    const outlook = foldQuotedHtml('<p>ok</p><div id="divRplyFwdMsg"><b>From:</b> Bob</div>', parser)
    expect(outlook).toEqual({ html: '<p>ok</p>', folded: 1 })
  })

  it('handles a text-node attribution with <br> and leaves unquoted HTML alone', () => {
    const out = foldQuotedHtml('Thanks<br>On Monday, Bob wrote:<br><blockquote>x</blockquote>', parser)
    expect(out).toEqual({ html: 'Thanks<br>', folded: 1 })
    expect(foldQuotedHtml('<p>Just <i>this</i></p>', parser)).toEqual({
      html: '<p>Just <i>this</i></p>',
      folded: 0,
    })
  })
})
