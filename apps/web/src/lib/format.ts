// Small display formatters shared by the list, the reader and compose.

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB']

/** 3520247 → "3.4 MB" (binary multiples, one decimal below 10). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?'
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1
  return `${value.toFixed(digits)} ${UNITS[unit]}`
}

// One date format everywhere (list, reader, quotes, forwards): the reader's locale, the medium date
// ("Dec 2, 2026") and the short time ("9:32 PM"); the list shows the parts that are not obvious.
const TIME: Intl.DateTimeFormatOptions = { hour: 'numeric', minute: '2-digit' }

/** List date: time today, "Mon 3" this year, full date otherwise. */
export function formatListDate(date: Date, now: Date, locale?: string): string {
  if (Number.isNaN(date.getTime())) return ''
  const sameDay = date.toDateString() === now.toDateString()
  if (sameDay) return date.toLocaleTimeString(locale, TIME)
  if (date.getFullYear() === now.getFullYear()) {
    return date.toLocaleDateString(locale, { month: 'short', day: 'numeric' })
  }
  return date.toLocaleDateString(locale, { year: 'numeric', month: 'short', day: 'numeric' })
}

/** Full date for the reader header. */
export function formatFullDate(date: Date, locale?: string): string {
  if (Number.isNaN(date.getTime())) return ''
  return `${date.toLocaleDateString(locale, { year: 'numeric', month: 'short', day: 'numeric' })}, ${date.toLocaleTimeString(locale, TIME)}`
}

/** One or two letters for an avatar. */
export function initials(nameOrAddress: string): string {
  const clean = nameOrAddress.replace(/<.*>/, '').replace(/@.*/, '').trim()
  const words = clean.split(/[\s._-]+/).filter(Boolean)
  const letters =
    words.length > 1 ? `${words[0]?.[0] ?? ''}${words[1]?.[0] ?? ''}` : (words[0]?.slice(0, 1) ?? '?')
  return letters.toUpperCase() || '?'
}

/** "Re: " / "Fwd: " prefixes without stacking them. */
export function prefixSubject(prefix: 'Re' | 'Fwd', subject: string): string {
  const pattern = prefix === 'Re' ? /^\s*re\s*:/i : /^\s*(fwd?|fw)\s*:/i
  return pattern.test(subject) ? subject : `${prefix}: ${subject}`
}

/** "1 minute", "9 minutes": a count with its noun (English plural in -s unless given). */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`
}
