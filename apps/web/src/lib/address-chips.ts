// Address chips for To/Cc/Bcc: what the user types or pastes becomes a list of addresses.
// Kept independent of the protocol parser so the field can parse partial, still-being-typed input.

export interface ChipAddress {
  name?: string
  address: string
}

export interface ChipParse {
  /** Complete, valid addresses ready to become chips. */
  chips: ChipAddress[]
  /** Tokens that look finished (followed by a separator) but are not addresses. */
  invalid: string[]
  /** The trailing, unfinished token the user is still typing. */
  rest: string
}

// Deliberately practical (RFC 5322 §3.4.1 addr-spec without quoted local parts or comments).
const ADDR_SPEC =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/

/** True when `address` is a plain addr-spec (local@domain). @see RFC 5322 §3.4.1 */
export function isValidAddress(address: string): boolean {
  return address.length <= 254 && ADDR_SPEC.test(address) && !address.includes('..')
}

/** Parses one token: `a@b`, `Name <a@b>`, `"Last, First" <a@b>`. @see RFC 5322 §3.4 */
export function parseChip(token: string): ChipAddress | undefined {
  const t = token.trim()
  if (!t) return undefined
  const angle = /^(.*?)<([^<>]+)>\s*$/.exec(t)
  if (angle) {
    const address = (angle[2] ?? '').trim()
    if (!isValidAddress(address)) return undefined
    const name = (angle[1] ?? '')
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .replace(/\\(.)/g, '$1')
    return name ? { name, address } : { address }
  }
  return isValidAddress(t) ? { address: t } : undefined
}

/** Splits typed or pasted text on `,` `;` and newlines outside quotes and angle brackets. */
function splitTokens(text: string): { tokens: string[]; rest: string } {
  const tokens: string[] = []
  let current = ''
  let quoted = false
  let angle = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (ch === '\\' && quoted) {
      current += ch + (text[i + 1] ?? '')
      i++
      continue
    }
    if (ch === '"') quoted = !quoted
    else if (ch === '<' && !quoted) angle = true
    else if (ch === '>' && !quoted) angle = false
    if (!quoted && !angle && (ch === ',' || ch === ';' || ch === '\n' || ch === '\r')) {
      if (current.trim()) tokens.push(current.trim())
      current = ''
      continue
    }
    current += ch
  }
  return { tokens, rest: current.trimStart() }
}

/**
 * Turns field text into chips. With `commit` the trailing token is treated as finished too
 * (blur, Enter, Tab), otherwise it stays in `rest` for autocomplete.
 */
export function parseChipInput(text: string, commit = false): ChipParse {
  const { tokens, rest } = splitTokens(text)
  if (commit && rest.trim()) tokens.push(rest.trim())
  const chips: ChipAddress[] = []
  const invalid: string[] = []
  for (const token of tokens) {
    const chip = parseChip(token)
    if (chip) chips.push(chip)
    else invalid.push(token)
  }
  return { chips, invalid, rest: commit ? '' : rest }
}

/** Adds chips, ignoring addresses already present (case-insensitive). */
export function mergeChips(existing: ChipAddress[], added: ChipAddress[]): ChipAddress[] {
  const seen = new Set(existing.map((c) => c.address.toLowerCase()))
  const out = [...existing]
  for (const chip of added) {
    const key = chip.address.toLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    out.push(chip)
  }
  return out
}

/** Display form used in headers: `Name <a@b>` with the name quoted when it needs to be. */
export function formatChip(chip: ChipAddress): string {
  if (!chip.name) return chip.address
  const needsQuotes = /[()<>[\]:;@\\,."]/.test(chip.name)
  const name = needsQuotes ? `"${chip.name.replace(/(["\\])/g, '\\$1')}"` : chip.name
  return `${name} <${chip.address}>`
}
