// The reading frame is sandboxed without same-origin, so the page cannot measure what it shows. In a
// conversation card the frame gets a height estimated from the (sanitised) HTML instead of a fixed
// tall box; a body longer than the estimate scrolls inside its frame.

const LINE_PX = 23
const CHARS_PER_LINE = 80
const IMAGE_PX = 220
const BLOCKS = 'p,div,li,tr,br,h1,h2,h3,h4,h5,h6,blockquote,pre,hr'

/** A height in CSS pixels for `html` at about 80 characters a line, between `min` and `max`. */
export function estimateFrameHeight(html: string, parser: DOMParser, min = 96, max = 1400): number {
  const body = parser.parseFromString(`<body>${html}</body>`, 'text/html').body
  let lines = 0
  for (const line of (body.textContent ?? '').split('\n'))
    lines += Math.ceil(line.trim().length / CHARS_PER_LINE)
  lines += body.querySelectorAll(BLOCKS).length
  const images = body.querySelectorAll('img[src]').length
  return Math.round(Math.min(max, Math.max(min, 24 + lines * LINE_PX + images * IMAGE_PX)))
}
