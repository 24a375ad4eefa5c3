import { describe, expect, it } from 'vitest'
import { isViewableImage, lightboxKey, stepIndex } from './gallery.ts'

describe('image gallery', () => {
  it('shows raster images only, never SVG or other types', () => {
    expect(isViewableImage('image/png')).toBe(true)
    expect(isViewableImage('image/JPEG; name=x.jpg')).toBe(true)
    expect(isViewableImage('image/svg+xml')).toBe(false)
    expect(isViewableImage('application/pdf')).toBe(false)
    expect(isViewableImage('image/pngx')).toBe(false)
  })

  it('wraps next and previous at both ends', () => {
    expect(stepIndex(2, 1, 3)).toBe(0)
    expect(stepIndex(0, -1, 3)).toBe(2)
    expect(stepIndex(1, 1, 3)).toBe(2)
    expect(stepIndex(0, 1, 0)).toBe(0)
  })

  it('maps the keyboard', () => {
    expect(lightboxKey('ArrowRight')).toBe('next')
    expect(lightboxKey('ArrowLeft')).toBe('previous')
    expect(lightboxKey('Home')).toBe('first')
    expect(lightboxKey('End')).toBe('last')
    expect(lightboxKey('Escape')).toBe('close')
    expect(lightboxKey('a')).toBeUndefined()
  })
})
