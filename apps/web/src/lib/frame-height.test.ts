// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { estimateFrameHeight } from './frame-height.ts'

describe('the height of a reading frame in a conversation card', () => {
  const parser = new DOMParser()

  it('is short for a one-line reply and grows with text, blocks and images', () => {
    const short = estimateFrameHeight('<p>Booked!</p>', parser)
    expect(short).toBe(96)
    const long = estimateFrameHeight(`<p>${'word '.repeat(400)}</p><p>two</p><p>three</p>`, parser)
    expect(long).toBeGreaterThan(short * 3)
    expect(
      estimateFrameHeight('<p>x</p><img src="data:image/png;base64,AA" alt="">', parser),
    ).toBeGreaterThan(short + 150)
    // An image the sanitiser took the source from shows nothing.
    expect(estimateFrameHeight('<p>x</p><img alt="">', parser)).toBe(short)
  })

  it('stays within its bounds', () => {
    expect(estimateFrameHeight('<p>x</p>'.repeat(1000), parser)).toBe(1400)
    expect(estimateFrameHeight('', parser, 50)).toBe(50)
  })
})
