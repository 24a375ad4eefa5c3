import { sameName } from '../message/headers.ts'
import type { Header } from '../message/types.ts'

/** Names an origin hop's ehl must contain (docs/protocol.md §3, the ehl_incomplete rule). */
export const ORIGIN_EHL_REQUIRED = ['Message-ID', 'From', 'Recipients-Digest', 'Body-Digest'] as const
/** Signed too when present: the profile's extension, so subject/recipient/thread tampering is detected. */
export const ORIGIN_EHL_OPTIONAL = [
  'Date',
  'Subject',
  'To',
  'Cc',
  'X-Thread-ID',
  'In-Reply-To',
  'References',
  'Content-Type',
  // RFC 3834 §5 / RFC 2919 / RFC 2076: what tells an auto-responder not to answer must be signed too.
  'Auto-Submitted',
  'List-Id',
  'Precedence',
] as const
/** Names a forwarding hop's ehl must contain (docs/protocol.md §3, the ehl_incomplete rule). */
export const FORWARD_EHL_REQUIRED = [
  'Message-ID',
  'Forwarded-From',
  'Recipients-Digest',
  'JWT-Assertion-Digest',
] as const
/** The order this profile signs a forwarding block in (Forwarded-To and Date added). */
const FORWARD_EHL_ORDER = [
  'Message-ID',
  'Forwarded-From',
  'Forwarded-To',
  'Recipients-Digest',
  'JWT-Assertion-Digest',
  'Date',
  'Received',
] as const

/**
 * Headers a signed block may carry without the assertion covering them, each pinned another way by
 * verifyChain: the Recipients-Salt (it keys the blinded To and Cc the eht covers, so it must blind at
 * least one), the original `Content-Type: multipart/mixed` (value fixed), and a forwarding block's
 * Received (its domains must be the two hops' sender domains). Bcc is not among them: a delivered
 * block that carries one (added on the way) fails with `unsigned_header`.
 */
export const UNSIGNED_ALLOWED = {
  origin: ['Recipients-Salt', 'Content-Type'],
  forward: ['Received'],
} as const

/**
 * The ehl this profile signs for a block: the required names, then the optional names present, in the
 * fixed order of the AS's token-exchange allow-lists.
 */
export function profileEhl(headers: readonly Header[], kind: 'origin' | 'forward'): string[] {
  const order: readonly string[] =
    kind === 'origin' ? [...ORIGIN_EHL_REQUIRED, ...ORIGIN_EHL_OPTIONAL] : FORWARD_EHL_ORDER
  return order.filter((n) => headers.some(([h]) => sameName(h, n)))
}
