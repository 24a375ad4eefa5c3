// The unread count where a person sees it with the tab in the background: the title and the favicon.

export const BASE_TITLE = 'Federizer Mail'

/** "(3) Inbox · Federizer Mail"; the plain title when nothing is unread; "99+" beyond 99. */
export function titleWithUnread(unread: number, base = BASE_TITLE): string {
  if (unread <= 0) return base
  return `(${unread > 99 ? '99+' : unread}) Inbox · ${base}`
}

/**
 * The app icon (an SVG with a 512×512 viewBox) with a red badge carrying the count, as a data: URL for
 * `<link rel="icon">`; the icon unchanged at zero.
 */
export function badgedIcon(iconSvg: string, unread: number): string {
  const svg =
    unread <= 0
      ? iconSvg
      : iconSvg.replace(
          /<\/svg>\s*$/,
          `<circle cx="380" cy="132" r="132" fill="#d93025"/>` +
            `<text x="380" y="132" dy="0.35em" text-anchor="middle" font-family="Arial,sans-serif" ` +
            `font-weight="700" font-size="${unread > 99 ? 120 : unread > 9 ? 160 : 200}" fill="#ffffff">` +
            `${unread > 99 ? '99+' : unread}</text></svg>`,
        )
  return `data:image/svg+xml,${encodeURIComponent(svg)}`
}
