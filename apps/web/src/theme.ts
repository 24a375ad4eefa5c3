// The typed styled-components theme. Colours are chosen for WCAG AA (4.5:1 for text) on their
// backgrounds in both schemes; the dark theme follows prefers-color-scheme.

export interface Theme {
  name: 'light' | 'dark'
  color: {
    bg: string
    surface: string
    surfaceAlt: string
    border: string
    text: string
    textMuted: string
    accent: string
    accentText: string
    accentSoft: string
    selected: string
    hover: string
    danger: string
    success: string
    warning: string
    focus: string
    star: string
    overlay: string
  }
  radius: string
  shadow: string
  font: string
  mono: string
}

export const lightTheme: Theme = {
  name: 'light',
  color: {
    bg: '#f4f5f8',
    surface: '#ffffff',
    surfaceAlt: '#eef0f4',
    border: '#d5d9e2',
    text: '#1d2129',
    textMuted: '#545c6b',
    accent: '#2456c9',
    accentText: '#ffffff',
    accentSoft: '#e3ebfc',
    selected: '#dce6fb',
    hover: '#eef2fb',
    danger: '#b3261e',
    success: '#1d7a3a',
    warning: '#8a5a00',
    focus: '#1a4fd0',
    star: '#b06f00',
    overlay: 'rgba(20, 24, 33, 0.45)',
  },
  radius: '8px',
  shadow: '0 8px 28px rgba(20, 24, 33, 0.18)',
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, sans-serif',
  mono: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace',
}

export const darkTheme: Theme = {
  name: 'dark',
  color: {
    bg: '#0f1115',
    surface: '#16181d',
    surfaceAlt: '#1e2128',
    border: '#323743',
    text: '#e6e8ee',
    textMuted: '#a3aab8',
    accent: '#8ab4ff',
    accentText: '#0b1530',
    accentSoft: '#1e2b47',
    selected: '#243556',
    hover: '#1f2633',
    danger: '#ff8a80',
    success: '#7ed69a',
    warning: '#f2c46d',
    focus: '#9cc0ff',
    star: '#f2c46d',
    overlay: 'rgba(0, 0, 0, 0.6)',
  },
  radius: '8px',
  shadow: '0 8px 28px rgba(0, 0, 0, 0.5)',
  font: lightTheme.font,
  mono: lightTheme.mono,
}
