/** `YYYY-MM-DD` (an <input type="date"> value) ↔ epoch seconds at local midnight; '' ↔ null. */
export function dateToEpoch(value: string, endOfDay = false): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (!m) return null
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (endOfDay ? 1 : 0))
  return Math.floor(d.getTime() / 1000)
}

export function epochToDate(epoch: number | null, endOfDay = false): string {
  if (epoch === null) return ''
  const d = new Date((epoch - (endOfDay ? 1 : 0)) * 1000)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}
