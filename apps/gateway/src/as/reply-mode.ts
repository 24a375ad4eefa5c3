import { jwtAssertionDigest, parseAddress } from '@federizer/protocol'
import { findUser, getVacation, vacationActive } from '@federizer/store'
import type { GatewayContext } from '../context.ts'
import { checkTokenDpop, type TokenDpop } from './dpop.ts'
import { OAuthError } from './errors.ts'
import { AUTO_REPLY_HEADERS, parseSignedHeaders, type SignedHeaders } from './exchange-headers.ts'
import { verifyForeignAssertion } from './foreign-assertion.ts'
import type { FormParams } from './form.ts'
import { findDeliveredMessage } from './inbound.ts'

/** Whether a jwt → jwt exchange asks for an auto-reply (its headers carry Auto-Submitted) rather than a forward. */
export function isAutoReply(raw: string | undefined): boolean {
  if (raw === undefined) return false
  try {
    const pairs: unknown = JSON.parse(raw)
    return (
      Array.isArray(pairs) &&
      pairs.some((p) => Array.isArray(p) && String(p[0]).toLowerCase() === 'auto-submitted')
    )
  } catch {
    return false
  }
}

/**
 * Mode 2b, the vacation auto-reply (RFC 3834): the subject token is the assertion of a message this
 * domain RECEIVED for the user; the AS signs a new origin block From that user only when the message was
 * delivered to them with that assertion (In-Reply-To is its Message-ID), it says `Auto-Submitted:
 * auto-replied` (RFC 3834 §5) and the user's vacation reply is on. To comes blinded as in send
 * (docs/protocol.md §2): that the reply goes to the sender alone is the MTA's rule (mta/vacation.ts).
 * @see docs/protocol.md §4 (token endpoint, auto-reply)
 */
export async function checkAutoReply(
  ctx: GatewayContext,
  params: FormParams,
  dpop: TokenDpop,
  subjectToken: string,
): Promise<{ sub: string; jkt: string; headers: SignedHeaders }> {
  for (const name of ['audience', 'resource', 'message_id'])
    if (params.has(name))
      throw new OAuthError('invalid_request', `"${name}" is not a parameter of the auto-reply exchange`)
  const headers = parseSignedHeaders(params.get('headers'), AUTO_REPLY_HEADERS)
  const jkt = await checkTokenDpop(ctx, dpop)
  if (headers.get('Auto-Submitted').trim().toLowerCase() !== 'auto-replied')
    throw new OAuthError('invalid_request', 'an auto-reply says "Auto-Submitted: auto-replied" (RFC 3834 §5)')
  await verifyForeignAssertion(ctx, subjectToken)
  let from: string
  try {
    from = parseAddress(headers.get('From')).address.toLowerCase()
  } catch {
    throw new OAuthError('invalid_request', 'From must be a mail address')
  }
  const user = await findUser(ctx.db, from)
  if (!user || user.disabled)
    throw new OAuthError('invalid_grant', `From <${from}> is not an active account here`)
  if (!vacationActive(await getVacation(ctx.db, from), ctx.now()))
    throw new OAuthError('invalid_grant', `${from} has no vacation reply on`)
  const delivered = await findDeliveredMessage(ctx.db, {
    messageId: headers.get('In-Reply-To'),
    assertionDigest: jwtAssertionDigest(subjectToken),
    recipient: from,
  })
  if (!delivered)
    throw new OAuthError(
      'invalid_grant',
      `no message ${headers.get('In-Reply-To')} was delivered to ${from} with this assertion`,
    )
  return { sub: from, jkt, headers }
}
