import { describe, expect, it } from 'vitest'
import { darkTheme, lightTheme, type Theme } from './theme.ts'

/** WCAG 2.2 relative luminance and contrast ratio (§1.4.3, definitions). */
function luminance(hex: string): number {
  const n = Number.parseInt(hex.slice(1), 16)
  const channel = (v: number) => {
    const c = v / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255)
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
  return (hi + 0.05) / (lo + 0.05)
}

describe.each([lightTheme, darkTheme])('$name theme meets WCAG AA contrast', (theme: Theme) => {
  const c = theme.color
  it.each([
    ['text on bg', c.text, c.bg],
    ['text on surface', c.text, c.surface],
    ['text on surfaceAlt', c.text, c.surfaceAlt],
    ['text on selected row', c.text, c.selected],
    ['muted text on surface', c.textMuted, c.surface],
    ['muted text on surfaceAlt', c.textMuted, c.surfaceAlt],
    ['accent text on surface (links, counts)', c.accent, c.surface],
    ['accent text on accentSoft (avatars)', c.accent, c.accentSoft],
    ['button text on accent', c.accentText, c.accent],
    ['danger on surface', c.danger, c.surface],
    ['danger on surfaceAlt', c.danger, c.surfaceAlt],
    ['success on surface', c.success, c.surface],
    ['warning on surfaceAlt (offline banner)', c.warning, c.surfaceAlt],
  ])('%s ≥ 4.5:1', (_name, fg, bg) => {
    expect(contrast(fg, bg)).toBeGreaterThanOrEqual(4.5)
  })

  it('focus ring ≥ 3:1 against the page (WCAG 1.4.11)', () => {
    expect(contrast(c.focus, c.surface)).toBeGreaterThanOrEqual(3)
    expect(contrast(c.focus, c.bg)).toBeGreaterThanOrEqual(3)
  })
})
