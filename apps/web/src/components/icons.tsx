// Inline SVG icons (no icon font: nothing extra to download, and they inherit currentColor).

const paths = {
  inbox: 'M4 4h16v10h-5l-2 3h-2l-2-3H4zM4 14v6h16v-6',
  send: 'M3 11l18-8-8 18-2-8z',
  drafts: 'M4 20h4l10-10-4-4L4 16zM13 7l4 4',
  trash: 'M5 7h14M10 7V4h4v3M7 7l1 13h8l1-13',
  archive: 'M3 5h18v4H3zM5 9v11h14V9M10 13h4',
  junk: 'M12 3l9 16H3zM12 10v4M12 17v.5',
  folder: 'M3 6h6l2 2h10v11H3z',
  star: 'M12 3l2.8 5.8 6.2.9-4.5 4.4 1 6.2L12 17.4l-5.5 2.9 1-6.2L3 9.7l6.2-.9z',
  reply: 'M10 8V4L3 11l7 7v-4c5 0 8 1.5 11 6-1-6-4-11-11-12z',
  replyAll: 'M13 8V4l-7 7 7 7v-4c5 0 7 1.5 9 5-1-5-3-10-9-11zM8 4L1 11l7 7',
  forward: 'M14 8V4l7 7-7 7v-4C9 14 6 15.5 3 20c1-6 4-11 11-12z',
  mail: 'M3 5h18v14H3zM3 6l9 7 9-7',
  mailOpen: 'M3 10l9-6 9 6v10H3zM3 10l9 6 9-6',
  attach: 'M16 6l-8 8a2.5 2.5 0 0 0 3.5 3.5l8-8a4.5 4.5 0 0 0-6.4-6.4l-8 8a6.5 6.5 0 0 0 9.2 9.2L20 14',
  search: 'M10.5 4a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zM15.5 15.5L21 21',
  settings:
    'M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM19 12l2-1-1-3-2 .3-1.3-1.3L17 5l-3-1-1 2h-2l-1-2-3 1 .3 2L6 8.3 4 8l-1 3 2 1v0l-2 1 1 3 2-.3L7.3 17 7 19l3 1 1-2h2l1 2 3-1-.3-2 1.3-1.3 2 .3 1-3z',
  back: 'M15 5l-7 7 7 7',
  menu: 'M4 6h16M4 12h16M4 18h16',
  close: 'M6 6l12 12M18 6L6 18',
  pen: 'M4 20h4L19 9l-4-4L4 16zM14 6l4 4',
  download: 'M12 4v11M7 10l5 5 5-5M5 20h14',
  shield: 'M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z',
  restore: 'M4 12a8 8 0 1 0 3-6.2M4 4v5h5',
  keyboard: 'M3 7h18v10H3zM7 11h.5M11 11h.5M15 11h.5M8 14h8',
  signOut: 'M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10',
  thread: 'M4 5h16v9H9l-5 4z',
  link: 'M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1',
  bold: 'M7 4h6a4 4 0 0 1 0 8H7zM7 12h7a4 4 0 0 1 0 8H7z',
  italic: 'M10 4h8M6 20h8M14 4l-4 16',
  underline: 'M7 4v7a5 5 0 0 0 10 0V4M5 20h14',
  listBullet: 'M9 6h11M9 12h11M9 18h11M4.5 6h.01M4.5 12h.01M4.5 18h.01',
  listNumbered: 'M10 6h10M10 12h10M10 18h10M4 4h1v4M4 8h2M4 14.5a1 1 0 0 1 2 .5l-2 3h2',
  check: 'M4 12l5 5L20 6',
  alert: 'M12 3l9 16H3zM12 10v4M12 17v.5',
  plus: 'M12 5v14M5 12h14',
  offline:
    'M3 3l18 18M8.5 16.5a5 5 0 0 1 7 0M5 13a10 10 0 0 1 5-2.7M19 13a10 10 0 0 0-2.4-1.7M2 9.5a15 15 0 0 1 4.5-2.8M22 9.5A15 15 0 0 0 11 5.1M12 20h.01',
  bell: 'M6 16V11a6 6 0 0 1 12 0v5l2 2H4zM10 20a2 2 0 0 0 4 0',
  clock: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM12 7v5l3 2',
} as const

export type IconName = keyof typeof paths

export function Icon(props: { name: IconName; size?: number; filled?: boolean; title?: string }) {
  const size = props.size ?? 18
  return (
    // biome-ignore lint/a11y/noSvgWithoutTitle: decorative (aria-hidden) unless a title is given
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill={props.filled ? 'currentColor' : 'none'}
      stroke="currentColor"
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden={props.title ? undefined : true}
      role={props.title ? 'img' : undefined}
    >
      {props.title && <title>{props.title}</title>}
      <path d={paths[props.name]} />
    </svg>
  )
}
