import { ProtocolError } from '../errors.ts'

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const
const pad = (n: number) => String(n).padStart(2, '0')

/**
 * Formats `date` in UTC as an RFC 5322 date-time: `Sun, 22 Dec 2024 20:49:35 +0000`.
 * @see RFC 5322 §3.3
 */
export function formatRfc5322Date(date: Date): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new ProtocolError('malformed_message', 'cannot format an invalid Date')
  }
  return `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
}

const DATE_RE =
  /^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2})(?::(\d{2}))? ([+-])(\d{2})(\d{2})$/

/**
 * Parses the RFC 5322 §3.3 date-time this profile writes (no obsolete forms, no comments).
 * Returns undefined when the text is not such a date or names an impossible day.
 */
export function parseRfc5322Date(s: string): Date | undefined {
  const m = DATE_RE.exec(s)
  if (!m) return undefined
  const [, , d, mon, y, hh, mm, ss, sign, zh, zm] = m
  const month = MONTHS.indexOf(mon as (typeof MONTHS)[number])
  const day = Number(d)
  const [hour, minute, second] = [Number(hh), Number(mm), Number(ss ?? '0')]
  if (hour > 23 || minute > 59 || second > 60 || Number(zm) > 59) return undefined
  const utc = Date.UTC(Number(y), month, day, hour, minute, second)
  const check = new Date(utc)
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month) return undefined
  const offset = (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm))
  return new Date(utc - offset * 60_000)
}
