import { describe, expect, it } from 'vitest'
import { badgedIcon, titleWithUnread } from './unread-badge.ts'

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><rect width="512" height="512"/></svg>'

describe('unread count in the tab', () => {
  it('puts the count in the title, and nothing at zero', () => {
    expect(titleWithUnread(0)).toBe('Federizer Mail')
    expect(titleWithUnread(3)).toBe('(3) Inbox · Federizer Mail')
    expect(titleWithUnread(250)).toBe('(99+) Inbox · Federizer Mail')
  })

  it('draws a badge with the count on the favicon', () => {
    expect(decodeURIComponent(badgedIcon(ICON, 0).replace('data:image/svg+xml,', ''))).toBe(ICON)
    const badged = decodeURIComponent(badgedIcon(ICON, 7).replace('data:image/svg+xml,', ''))
    expect(badged).toMatch(/<circle[^>]*fill="#d93025"\/><text[^>]*>7<\/text><\/svg>$/)
    expect(badged.startsWith('<svg xmlns')).toBe(true)
  })
})
