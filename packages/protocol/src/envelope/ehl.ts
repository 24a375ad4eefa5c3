import { sameName } from '../message/headers.ts'
import type { Header } from '../message/types.ts'

/** Names an origin hop's ehl must contain (DESIGN §3). */
export const ORIGIN_EHL_REQUIRED = ['Message-ID', 'From', 'Recipients-Digest', 'Body-Digest'] as const
/** Names a forwarding hop's ehl must contain (DESIGN §3). */
export const FORWARD_EHL_REQUIRED = [
  'Message-ID',
  'Forwarded-From',
  'Recipients-Digest',
  'JWT-Assertion-Digest',
] as const

/** Preferred order of the optional names after the required ones (documented extension of DESIGN §3). */
const ORIGIN_EHL_NEXT = ['Date', 'Subject', 'To', 'Cc', 'X-Thread-ID', 'In-Reply-To', 'References']
const FORWARD_EHL_NEXT = ['Forwarded-To', 'Date']

/** Headers never signed: Bcc is removed from the copies delivered to To/Cc recipients. */
export const UNSIGNED_HEADERS = ['Bcc'] as const

/**
 * The ehl this profile signs: the design's required names, then the preferred optional names present,
 * then every other header of the block (except Bcc), so that no delivered header can change unnoticed.
 */
export function fullCoverageEhl(headers: readonly Header[], kind: 'origin' | 'forward'): string[] {
  const ordered =
    kind === 'origin'
      ? [...ORIGIN_EHL_REQUIRED, ...ORIGIN_EHL_NEXT]
      : [...FORWARD_EHL_REQUIRED, ...FORWARD_EHL_NEXT]
  const present = (n: string) => headers.some(([h]) => sameName(h, n))
  const ehl: string[] = []
  const add = (n: string) => {
    if (!ehl.some((e) => sameName(e, n)) && !UNSIGNED_HEADERS.some((u) => sameName(u, n))) ehl.push(n)
  }
  for (const n of ordered) if (present(n)) add(n)
  for (const [n] of headers) add(n)
  return ehl
}
