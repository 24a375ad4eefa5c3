/** Raster images the browser shows safely from a blob: URL (never SVG: it can carry script). */
export function isViewableImage(mediaType: string): boolean {
  return /^image\/(png|jpeg|gif|webp|avif|bmp)\s*(;|$)/i.test(mediaType.trim())
}

/** The index after a step of `delta` in a gallery of `count`, wrapping at both ends. */
export function stepIndex(index: number, delta: number, count: number): number {
  if (count <= 0) return 0
  return (((index + delta) % count) + count) % count
}

/** What a key does in the viewer: next, previous, first, last, close, or nothing. */
export function lightboxKey(key: string): 'next' | 'previous' | 'first' | 'last' | 'close' | undefined {
  switch (key) {
    case 'ArrowRight':
    case 'ArrowDown':
    case 'PageDown':
    case ' ':
      return 'next'
    case 'ArrowLeft':
    case 'ArrowUp':
    case 'PageUp':
      return 'previous'
    case 'Home':
      return 'first'
    case 'End':
      return 'last'
    case 'Escape':
      return 'close'
    default:
      return undefined
  }
}
